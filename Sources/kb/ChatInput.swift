import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lines `kb chat` reads: edited with `LineEditor` in raw mode when stdin is a terminal, plain `readLine`
/// otherwise (a pipe, a file, a dumb terminal).
final class ChatInput {
    private let terminal: RawTerminal?
    private var editor = LineEditor()

    init(interactive: Bool) {
        let dumb = ProcessInfo.processInfo.environment["TERM"] == "dumb"
        terminal = interactive && !dumb ? RawTerminal(fd: STDIN_FILENO) : nil
    }

    /// The next line, or nil at end of input (Ctrl-D, or Ctrl-C at an empty prompt).
    func next(prompt: String) -> String? {
        guard let terminal else {
            if isatty(STDIN_FILENO) == 1 {
                print(prompt, terminator: "")
                fflush(nil)
            }
            return readLine(strippingNewline: true)
        }
        return terminal.readLine(prompt: prompt, editor: &editor)
    }
}

/// The terminal switched to raw mode (no echo, no line buffering, Ctrl-C as a byte) while a line is edited, and
/// put back as it was after each line, so an answer prints and Ctrl-C signals as usual.
final class RawTerminal {
    private let fd: Int32
    private var original = termios()
    private var leftover: [UInt8] = []

    init?(fd: Int32) {
        guard isatty(fd) == 1, tcgetattr(fd, &original) == 0 else { return nil }
        self.fd = fd
    }

    deinit {
        restore()
    }

    /// Columns of the terminal on stdout; 80 when unknown.
    var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80
    }

    func readLine(prompt: String, editor: inout LineEditor) -> String? {
        guard enterRawMode() else {
            // Not a terminal after all: read plainly.
            print(prompt, terminator: "")
            fflush(nil)
            return Swift.readLine(strippingNewline: true)
        }
        defer { restore() }
        draw(editor.rendering(prompt: prompt, width: width))
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            // Bytes after a line end in one read (a pasted block) are the start of the next line.
            var bytes = leftover
            leftover = []
            if bytes.isEmpty {
                let count = read(fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { draw("\r\n"); return nil }
                bytes = Array(buffer[0..<count])
            }
            for (index, byte) in bytes.enumerated() {
                let before = editor.text
                switch editor.feed(byte) {
                case .editing:
                    continue
                case .submitted(let line):
                    leftover = Array(bytes[(index + 1)...])
                    draw(LineEditor.shown(prompt: prompt, line: line, width: width) + "\r\n")
                    return line
                case .cleared:
                    draw(LineEditor.shown(prompt: prompt, line: before, width: width) + "^C\r\n")
                case .interrupted, .endOfInput:
                    leftover = Array(bytes[(index + 1)...])
                    draw("\r\n")
                    return nil
                }
            }
            draw(editor.rendering(prompt: prompt, width: width))
        }
    }

    private func enterRawMode() -> Bool {
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR | BRKINT | ISTRIP)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        return tcsetattr(fd, TCSADRAIN, &raw) == 0
    }

    private func restore() {
        _ = tcsetattr(fd, TCSADRAIN, &original)
    }

    private func draw(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Ctrl-C while an answer streams: cancels that answer's task and keeps the session. At the prompt the terminal is
/// in raw mode and Ctrl-C arrives as a byte instead (see `LineEditor`).
final class AnswerInterrupter: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelCurrent: (@Sendable () -> Void)?
    private var source: (any DispatchSourceSignal)?

    /// Takes over SIGINT for the life of this object.
    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.interrupt() }
        source.resume()
        self.source = source
    }

    deinit {
        source?.cancel()
        signal(SIGINT, SIG_DFL)
    }

    /// Runs `work` as the answer Ctrl-C stops; `stopped` is true when it was.
    func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> (value: T, stopped: Bool) {
        let task = Task { await work() }
        lock.withLock { cancelCurrent = { task.cancel() } }
        let value = await task.value
        lock.withLock { cancelCurrent = nil }
        return (value, task.isCancelled)
    }

    private func interrupt() {
        lock.withLock { cancelCurrent }?()
    }
}
