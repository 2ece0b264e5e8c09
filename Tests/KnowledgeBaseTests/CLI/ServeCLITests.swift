import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kb serve` as a process: start-up checks and graceful shutdown with a request in flight.
@Suite(.serialized)
struct ServeCLITests {
    final class LineReader: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        private let appended = EventCount()
        func append(_ data: Data) {
            lock.withLock { text += String(decoding: data, as: UTF8.self) }
            appended.increment()
        }
        /// Marks the end of the output (the process exited), so waiters stop waiting.
        func finish() { appended.increment() }
        var all: String { lock.withLock { text } }

        /// Waits until the output contains `needle`; false if the failsafe ran out or `done` says to stop first.
        func waitFor(_ needle: String, failsafe: Double = 30, done: () -> Bool = { false }) -> Bool {
            let deadline = Date().addingTimeInterval(failsafe)
            while true {
                let seen = appended.value
                if all.contains(needle) { return true }
                if done() || Date() >= deadline { return false }
                appended.wait(until: seen + 1, failsafe: deadline.timeIntervalSinceNow)
            }
        }

        /// `waitFor` off the cooperative pool.
        func reached(_ needle: String, failsafe: Double = 30) async -> Bool {
            await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: self.waitFor(needle, failsafe: failsafe)) }.start()
            }
        }
    }

    func startServer(database: URL, ollama: String, extra: [String] = [], open: Bool = true,
                     environment extraEnvironment: [String: String] = [:]) throws -> (Process, Int, LineReader) {
        try startServer(store: database.path, ollama: ollama, extra: extra, open: open, environment: extraEnvironment)
    }

    /// Starts `kb serve --store STORE` on a free port and returns it once it listens; `open` leaves writes open
    /// (--allow-unauthenticated), as the tests of other things than tokens want.
    func startServer(store: String, ollama: String, extra: [String] = [], open: Bool = true,
                     environment extraEnvironment: [String: String] = [:]) throws -> (Process, Int, LineReader) {
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["serve", "--store", store, "--port", "0", "--chat-model", "stub"]
            + (open ? ["--allow-unauthenticated"] : []) + extra
        var environment = ProcessInfo.processInfo.environment
        environment["OLLAMA_HOST"] = ollama
        environment["KB_API_TOKEN"] = nil
        environment["KB_EMBEDDER"] = "hash"
        environment["KB_DB"] = nil
        environment["KB_STORE"] = nil
        environment["KB_API_TOKEN_FILE"] = nil
        environment["KB_READ_TOKEN"] = nil
        environment["KB_READ_TOKEN_FILE"] = nil
        environment["KB_ALLOWED_HOSTS"] = nil
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let reader = LineReader()
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                reader.finish()
            } else {
                reader.append(data)
            }
        }
        process.terminationHandler = { _ in reader.finish() }
        try process.run()
        let marker = "listening on 127.0.0.1:"
        if reader.waitFor(marker, done: { !process.isRunning }), let range = reader.all.range(of: marker) {
            let digits = reader.all[range.upperBound...].prefix { $0.isNumber }
            if let port = Int(digits) { return (process, port, reader) }
        }
        process.terminate()
        throw CLITestError(message: "kb serve did not start: \(reader.all)")
    }

    /// Waits, off the cooperative pool, until `process` exits.
    func exited(_ process: Process) async {
        await withCheckedContinuation { continuation in
            Thread {
                process.waitUntilExit()
                continuation.resume()
            }.start()
        }
    }

    struct CLITestError: Error { var message: String }

    @Test func sigtermLetsTheAnswerInFlightFinishAndClosesTheDatabase() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk\n## Fix\nRotate the logs with logrotate."], under: directory)
        _ = try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database)

        // A fake Ollama that streams three tokens, then holds the rest until the test has sent SIGTERM and kb has
        // begun shutting down: the answer is surely in flight when the signal arrives.
        let tokens = (0..<10).map { #"{"message":{"role":"assistant","content":"word\#($0) "},"done":false}"# + "\n" }
        let rest = Gate()
        let ollama = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: tokens + [#"{"message":{"content":""},"done":true}"# + "\n"],
                         pauseAfter: 3, resume: rest)
        }
        defer { ollama.stop() }
        let (process, port, log) = try startServer(database: database, ollama: ollama.url,
                                                   extra: ["--log-level", "debug"])

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ask")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"question":"rotate the logs"}"#.utf8)
        async let answer = URLSession.shared.data(for: request)
        #expect(await ollama.arrivals.reached(1), "kb asked the chat model")
        process.terminate()  // SIGTERM
        // ServiceLifecycle logs this (at debug) when it starts the graceful shutdown.
        #expect(await log.reached("Signal caught. Shutting down the group."), "\(log.all)")
        rest.open()

        let (body, _) = try await answer
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.contains(#""type":"sources""#) == true)
        #expect(lines.last?.contains(#""type":"done""#) == true, "the answer in flight was completed: \(lines.last ?? "")")
        #expect(lines.filter { $0.contains(#""type":"token""#) }.count == 10)

        await exited(process)
        #expect(process.terminationStatus == 0, "\(log.all)")
        #expect(log.all.contains("database checkpointed"))
        let wal = directory.appendingPathComponent("kb.sqlite-wal").path
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walSize == 0, "the write-ahead log was checkpointed into the database")
    }

    /// Sends `body` to `path` over a plain socket, reads until `marker` arrives, then hangs up; true when it arrived.
    static func postAndHangUp(port: Int, path: String, body: String, after marker: String) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        _ = Data(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { return false }
            received.append(contentsOf: buffer[0..<count])
        }
        return true
    }

    // The client closes its socket (a FIN) while the answer waits for Ollama's next token: kb must see the hang-up
    // itself (nothing is written that could fail) and abort its request to Ollama.
    @Test
    func aClientThatHangsUpMidAnswerCancelsTheRequestToOllama() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk\n## Fix\nRotate the logs with logrotate."], under: directory)
        _ = try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database)
        // One token, then Ollama goes quiet for good: only kb hanging up ends its request.
        let token = #"{"message":{"role":"assistant","content":"Quux "},"done":false}"# + "\n"
        let ollama = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: [token, token], pauseAfter: 1)
        }
        defer { ollama.stop() }
        let (process, port, log) = try startServer(database: database, ollama: ollama.url)
        defer { process.terminate() }
        for path in ["/v1/ask", "/v1/chat/completions"] {
            let body = path == "/v1/ask" ? #"{"question":"rotate the logs"}"#
                : #"{"model":"kb","stream":true,"messages":[{"role":"user","content":"rotate the logs"}]}"#
            let hungUp = ollama.hangUps.value
            let sawToken = await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Self.postAndHangUp(port: port, path: path, body: body,
                                                                           after: "Quux")) }.start()
            }
            #expect(sawToken, "\(path): \(log.all)")
            #expect(await ollama.hangUps.reached(hungUp + 1), "\(path): kb's request to Ollama was cancelled")
        }
    }

    @Test func refusesToListenOpenlyOnANonLoopbackAddress() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try CLITests().kb(["serve", "--host", "0.0.0.0", "--port", "0"],
                                    database: directory.appendingPathComponent("kb.sqlite"))
        #expect(run.status != 0)
        #expect(run.stderr.contains("KB_API_TOKEN") && run.stderr.contains("--allow-unauthenticated"))
    }
}
