import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import KnowledgeBase

/// `kb serve` as a process: the generated write token, token files, the idle timeout; and `kb docs` escaping.
@Suite(.serialized)
struct ServeSecurityCLITests {
    let serve = ServeCLITests()
    let live = LiveServeCLITests()

    func put(_ port: Int, token: String?) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/documents/by-path/net/dns.md")!)
        request.httpMethod = "PUT"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = Data(##"{"content":"# DNS\n## Fix\nFlush the resolver cache."}"##.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    func knowledgeBase() throws -> (URL, URL) {
        let directory = try temporaryDirectory()
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk\n## Fix\nRotate the logs with logrotate."], under: directory)
        _ = try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database)
        return (directory, database)
    }

    @Test func onLoopbackAWriteTokenIsGeneratedBesideTheDatabaseAndReused() async throws {
        let (directory, database) = try knowledgeBase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenPath = database.path + ".write-token"
        let (process, port, log) = try serve.startServer(database: database, ollama: "http://127.0.0.1:1", open: false)
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(token.count == 64)
        let mode = try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(log.all.contains(tokenPath) && log.all.contains("just generated"), "stderr says where: \(log.all)")
        #expect(!log.all.contains(token), "the token itself is never printed")
        #expect(try await put(port, token: nil) == 401)
        #expect(try await put(port, token: "guess") == 401)
        #expect(try await put(port, token: token) == 201)
        live.stop(process)

        let (again, secondPort, secondLog) = try serve.startServer(database: database, ollama: "http://127.0.0.1:1",
                                                                   open: false)
        defer { live.stop(again) }
        #expect(try String(contentsOfFile: tokenPath, encoding: .utf8).hasPrefix(token), "the file is reused")
        #expect(!secondLog.all.contains("just generated"))
        #expect(try await put(secondPort, token: token) == 200)
    }

    @Test func tokensComeFromFilesNotTheCommandLine() async throws {
        let (directory, database) = try knowledgeBase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writeFile = directory.appendingPathComponent("write.token")
        let readFile = directory.appendingPathComponent("read.token")
        try Data("writer-secret\n".utf8).write(to: writeFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: writeFile.path)
        try Data("reader-secret\n".utf8).write(to: readFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: readFile.path)
        let (process, port, log) = try serve.startServer(
            database: database, ollama: "http://127.0.0.1:1", extra: ["--write-token-file", writeFile.path], open: false,
            environment: ["KB_READ_TOKEN_FILE": readFile.path])
        defer { live.stop(process) }
        #expect(log.all.contains("can be read by other users") && log.all.contains("chmod 600 \(readFile.path)"))
        #expect(!FileManager.default.fileExists(atPath: database.path + ".write-token"), "no token is generated")
        #expect(try await put(port, token: "writer-secret") == 201)
        #expect(try await put(port, token: "reader-secret") == 403, "the read token has no write scope")
        #expect(try await live.call(port, "GET", "/v1/documents").status == 401, "reads need the read token")

        try Data("\n".utf8).write(to: writeFile)
        let empty = try CLITests().kb(["serve", "--port", "0", "--write-token-file", writeFile.path], database: database)
        #expect(empty.status != 0 && empty.stderr.contains("is empty"), "\(empty.stderr)")
    }

    @Test func aConnectionThatSendsHalfARequestLineIsClosedAfterTheIdleTimeout() throws {
        let (directory, database) = try knowledgeBase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (process, port, _) = try serve.startServer(database: database, ollama: "http://127.0.0.1:1",
                                                       extra: ["--idle-timeout", "0.3"])
        defer { live.stop(process) }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        // A safety net only: the read below must end with EOF long before this.
        var limit = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let half = Array("GET /healthz HT".utf8)
        #expect(send(socket, half, half.count, 0) == half.count)
        var buffer = [UInt8](repeating: 0, count: 512)
        let started = Date()
        let received = recv(socket, &buffer, buffer.count, 0)
        #expect(received == 0, "the server closed the connection (EOF), not \(received) after \(Date().timeIntervalSince(started)) s")
    }

    @Test func docsEscapesControlCharactersOfRowsAlreadyStored() throws {
        let (directory, database) = try knowledgeBase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: database.path)
        try store.writeTransaction { connection in
            try connection.execute("UPDATE documents SET path = 'disk' || char(27) || '[2J' || char(8238) || '.md', "
                + "title = 'T' || char(155) || 'x'")
        }
        let run = try CLITests().kb(["docs", "list"], database: database)
        #expect(run.status == 0)
        #expect(run.stdout.contains("disk\\u{1B}[2J\\u{202E}.md") && run.stdout.contains("T\\u{9B}x"), "\(run.stdout)")
        #expect(!run.stdout.unicodeScalars.contains { $0.value == 27 || $0.value == 0x202E || $0.value == 0x9B })
    }
}
