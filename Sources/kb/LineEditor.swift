import Foundation

/// A small Emacs-style line editor for `kb chat`: bytes from the terminal in, the line, its cursor and what finished
/// out. It does no I/O, so its key handling is tested as a pure function; `RawTerminal` feeds it and draws it.
///
/// Keys: printable text (UTF-8) inserts at the cursor; ←/→ (Ctrl-B/F) move, Home/End (Ctrl-A/E) jump,
/// Ctrl-←/→ (Alt-B/F) move by word; Backspace and Delete erase; Ctrl-U erases to the start, Ctrl-K to the end,
/// Ctrl-W the word before the cursor; ↑/↓ walk the lines entered in this session; Enter submits; Ctrl-C clears a
/// line with text and interrupts at an empty one; Ctrl-D ends input at an empty line and deletes forward otherwise.
/// Unknown escape sequences are ignored, never inserted.
struct LineEditor {
    /// What one byte finished.
    enum Outcome: Equatable {
        /// Still editing.
        case editing
        /// Enter: this line (also added to the history, unless empty or the same as the last one).
        case submitted(String)
        /// Ctrl-C on a line with text: the line was thrown away.
        case cleared
        /// Ctrl-C on an empty line.
        case interrupted
        /// Ctrl-D on an empty line.
        case endOfInput
    }

    private(set) var line: [Character] = []
    /// Characters before the cursor (0...line.count).
    private(set) var cursor = 0
    /// Lines entered in this session, oldest first.
    private(set) var history: [String]
    /// The history entry shown by ↑/↓, or nil while editing a new line.
    private var historyIndex: Int?
    /// The new line as it was before ↑ showed an older one.
    private var draft: [Character] = []
    /// Bytes of an escape sequence or a UTF-8 character that is not complete yet.
    private var pending: [UInt8] = []
    private var lastWasCarriageReturn = false

    init(history: [String] = []) {
        self.history = history
    }

    var text: String { String(line) }

    /// Feeds `bytes` in order and returns every outcome other than `.editing`.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Outcome] {
        var outcomes: [Outcome] = []
        for byte in bytes {
            let outcome = feed(byte)
            if outcome != .editing { outcomes.append(outcome) }
        }
        return outcomes
    }

    /// Feeds one byte.
    mutating func feed(_ byte: UInt8) -> Outcome {
        let afterCarriageReturn = lastWasCarriageReturn
        lastWasCarriageReturn = false
        if let first = pending.first {
            pending.append(byte)
            return first == 0x1B ? escape() : utf8()
        }
        switch byte {
        case 0x1B:
            pending = [byte]
        case 0x0D:
            lastWasCarriageReturn = true
            return submit()
        case 0x0A:
            // A pasted CRLF is one line end.
            return afterCarriageReturn ? .editing : submit()
        case 0x01: cursor = 0
        case 0x05: cursor = line.count
        case 0x02: cursor = max(0, cursor - 1)
        case 0x06: cursor = min(line.count, cursor + 1)
        case 0x7F, 0x08:
            if cursor > 0 {
                line.remove(at: cursor - 1)
                cursor -= 1
            }
        case 0x15:
            line.removeSubrange(0..<cursor)
            cursor = 0
        case 0x0B:
            line.removeSubrange(cursor..<line.count)
        case 0x17:
            let start = wordStart(before: cursor)
            line.removeSubrange(start..<cursor)
            cursor = start
        case 0x03:
            if line.isEmpty { return .interrupted }
            reset()
            return .cleared
        case 0x04:
            if line.isEmpty { return .endOfInput }
            if cursor < line.count { line.remove(at: cursor) }
        case 0x09:
            insert("    ")
        case 0x20...0x7E:
            insert(String(UnicodeScalar(byte)))
        case 0xC2...0xF4:
            pending = [byte]
        default:
            break  // other control bytes and stray UTF-8 continuation bytes
        }
        return .editing
    }

    /// What the terminal shows: `prompt` and the part of the line around the cursor that fits in `width` columns
    /// (a long line scrolls sideways instead of wrapping), then the cursor put back in place. One column per
    /// character is assumed.
    func rendering(prompt: String, width: Int) -> String {
        let promptWidth = prompt.count
        let room = max(8, width - promptWidth - 1)
        let start = cursor < room ? 0 : cursor - room + 1
        let visible = line[start..<min(line.count, start + room)]
        let column = promptWidth + cursor - start
        return "\r" + prompt + String(visible) + "\u{1B}[K\r" + (column > 0 ? "\u{1B}[\(column)C" : "")
    }

    /// A finished line as it stays on screen: the prompt and as much of the line as fits, cursor at its end.
    static func shown(prompt: String, line: String, width: Int) -> String {
        var editor = LineEditor()
        editor.line = Array(line)
        editor.cursor = editor.line.count
        return editor.rendering(prompt: prompt, width: width)
    }

    // MARK: - Editing

    private mutating func insert(_ text: String) {
        let characters = Array(text)
        line.insert(contentsOf: characters, at: cursor)
        cursor += characters.count
    }

    private mutating func submit() -> Outcome {
        let submitted = text
        if !submitted.trimmingCharacters(in: .whitespaces).isEmpty && history.last != submitted {
            history.append(submitted)
        }
        reset()
        return .submitted(submitted)
    }

    private mutating func reset() {
        line = []
        cursor = 0
        historyIndex = nil
        draft = []
    }

    private func wordStart(before index: Int) -> Int {
        var start = index
        while start > 0 && line[start - 1].isWhitespace { start -= 1 }
        while start > 0 && !line[start - 1].isWhitespace { start -= 1 }
        return start
    }

    private func wordEnd(after index: Int) -> Int {
        var end = index
        while end < line.count && line[end].isWhitespace { end += 1 }
        while end < line.count && !line[end].isWhitespace { end += 1 }
        return end
    }

    private mutating func showHistory(_ step: Int) {
        guard !history.isEmpty else { return }
        switch (historyIndex, step) {
        case (nil, -1):
            draft = line
            historyIndex = history.count - 1
        case (nil, _):
            return
        case (let index?, _):
            let next = index + step
            if next < 0 { return }
            if next >= history.count {
                historyIndex = nil
                line = draft
                cursor = line.count
                return
            }
            historyIndex = next
        }
        line = Array(history[historyIndex!])
        cursor = line.count
    }

    // MARK: - Decoding

    /// An escape sequence: ESC [ parameters final, ESC O final, or ESC and one key (Alt-key).
    private mutating func escape() -> Outcome {
        if pending.count > 16 {
            pending = []  // not a sequence this editor knows; drop it rather than insert it
            return .editing
        }
        if pending.count == 2 {
            switch pending[1] {
            case UInt8(ascii: "["), UInt8(ascii: "O"):
                return .editing
            case UInt8(ascii: "b"): cursor = wordStart(before: cursor)
            case UInt8(ascii: "f"): cursor = wordEnd(after: cursor)
            case 0x7F:
                let start = wordStart(before: cursor)
                line.removeSubrange(start..<cursor)
                cursor = start
            default: break
            }
            pending = []
            return .editing
        }
        guard let final = pending.last, (0x40...0x7E).contains(final) else { return .editing }
        let parameters = String(decoding: pending[2..<(pending.count - 1)], as: UTF8.self)
        pending = []
        let modified = parameters.hasSuffix(";5") || parameters.hasSuffix(";3")
        switch (final, parameters) {
        case (UInt8(ascii: "A"), _): showHistory(-1)
        case (UInt8(ascii: "B"), _): showHistory(1)
        case (UInt8(ascii: "C"), _): cursor = modified ? wordEnd(after: cursor) : min(line.count, cursor + 1)
        case (UInt8(ascii: "D"), _): cursor = modified ? wordStart(before: cursor) : max(0, cursor - 1)
        case (UInt8(ascii: "H"), _), (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): cursor = 0
        case (UInt8(ascii: "F"), _), (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): cursor = line.count
        case (UInt8(ascii: "~"), "3"):
            if cursor < line.count { line.remove(at: cursor) }
        default:
            break  // F-keys, bracketed-paste markers, …
        }
        return .editing
    }

    /// A multi-byte UTF-8 character, inserted once complete; an invalid sequence is dropped.
    private mutating func utf8() -> Outcome {
        let lead = pending[0]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard (0x80...0xBF).contains(pending[pending.count - 1]) else {
            let last = pending[pending.count - 1]
            pending = []
            return feed(last)  // the byte that broke the sequence starts something new
        }
        guard pending.count == length else { return .editing }
        let text = String(decoding: pending, as: UTF8.self)
        pending = []
        if !text.contains("\u{FFFD}") { insert(text) }
        return .editing
    }
}
