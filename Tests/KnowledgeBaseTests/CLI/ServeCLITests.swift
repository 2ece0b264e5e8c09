import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `kb serve` as a process: start-up checks and graceful shutdown with a request in flight.
@Suite(.serialized)
struct ServeCLITests {
    final class LineReader: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        func append(_ data: Data) { lock.withLock { text += String(decoding: data, as: UTF8.self) } }
        var all: String { lock.withLock { text } }
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
        stderr.fileHandleForReading.readabilityHandler = { reader.append($0.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let range = reader.all.range(of: "listening on 127.0.0.1:") {
                let digits = reader.all[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return (process, port, reader) }
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw CLITestError(message: "kb serve did not start: \(reader.all)")
    }

    struct CLITestError: Error { var message: String }

    @Test func sigtermLetsTheAnswerInFlightFinishAndClosesTheDatabase() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk\n## Fix\nRotate the logs with logrotate."], under: directory)
        _ = try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database)

        // A fake Ollama that takes about a second to stream its answer.
        let tokens = (0..<10).map { #"{"message":{"role":"assistant","content":"word\#($0) "},"done":false}"# + "\n" }
        let ollama = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: tokens + [#"{"message":{"content":""},"done":true}"# + "\n"],
                         pieceDelay: 0.1)
        }
        defer { ollama.stop() }
        let (process, port, log) = try startServer(database: database, ollama: ollama.url)

        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/ask")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"question":"rotate the logs"}"#.utf8)
        async let answer = URLSession.shared.data(for: request)
        // Signal only once the answer is streaming, so the request is surely in flight.
        let streaming = Date().addingTimeInterval(10)
        while ollama.requests.isEmpty && Date() < streaming { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(150))
        process.terminate()  // SIGTERM

        let (body, _) = try await answer
        let lines = String(decoding: body, as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.contains(#""type":"sources""#) == true)
        #expect(lines.last?.contains(#""type":"done""#) == true, "the answer in flight was completed: \(lines.last ?? "")")
        #expect(lines.filter { $0.contains(#""type":"token""#) }.count == 10)

        let exited = Date().addingTimeInterval(15)
        while process.isRunning && Date() < exited { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0, "\(log.all)")
        #expect(log.all.contains("database checkpointed"))
        let wal = directory.appendingPathComponent("kb.sqlite-wal").path
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        #expect(walSize == 0, "the write-ahead log was checkpointed into the database")
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
