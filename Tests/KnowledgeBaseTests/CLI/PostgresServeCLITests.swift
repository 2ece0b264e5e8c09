import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `kb serve` replicas on one PostgreSQL database, as processes behind a load balancer would run them.
@Suite(.serialized, .enabled(if: PostgresTestDatabase.url != nil, PostgresTestDatabase.skipNote))
struct PostgresServeCLITests {
    let live = LiveServeCLITests()

    @Test func aWriteThroughOneReplicaIsAnsweredByTheOther() async throws {
        let url = PostgresTestDatabase.freshURL()
        defer { PostgresTestDatabase.drop(url) }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["r/disk.md": "# Disk full\n## Fix\nRotate the logs with logrotate."], under: directory)
        #expect(try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], store: url).status == 0)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 404, body: "no chat here") }
        defer { ollama.stop() }
        let (first, a, _) = try ServeCLITests().startServer(store: url, ollama: ollama.url)
        defer { live.stop(first) }
        let (second, b, _) = try ServeCLITests().startServer(store: url, ollama: ollama.url)
        defer { live.stop(second) }
        #expect(try await live.query(a, "rotate logs").paths == live.query(b, "rotate logs").paths)

        let put = try await live.call(a, "PUT", "/v1/documents/by-path/net/dns.md",
                                      json: ##"{"content":"# DNS\n## Fix\nFlush the resolver cache of systemd-resolved."}"##)
        #expect(put.status == 201)
        try await eventually("replica B answers with the document PUT to replica A") {
            try await live.query(b, "flush resolver cache").paths.contains("net/dns.md")
        }
        #expect(try await live.call(b, "DELETE", "/v1/documents/by-path/net/dns.md").status == 200)
        try await eventually("replica A sees the delete made through replica B") {
            try await !live.query(a, "flush resolver cache").paths.contains("net/dns.md")
        }
        for port in [a, b] {
            let ready = try await live.call(port, "GET", "/readyz")
            #expect(ready.status == 200, "\(ready.object)")
            #expect((ready.object["checks"] as? [String: String])?["database"]?.hasPrefix("ok") == true)
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["KB_TEST_POSTGRES_RESTART_URL"] != nil,
                   "no restartable PostgreSQL: KB_TEST_POSTGRES_RESTART_URL is not set (Scripts/test starts one)"))
    func aReplicaThatLosesTheDatabaseAnswers503AndRecoversByItself() async throws {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["KB_TEST_POSTGRES_RESTART_URL"]!
        let control = environment["KB_TEST_POSTGRES_RESTART_CTL"]!
        let url = base + (base.contains("?") ? "&" : "?") + "schema=restart_\(UUID().uuidString.prefix(8).lowercased())"
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["r/disk.md": "# Disk full\n## Fix\nRotate the logs with logrotate."], under: directory)
        #expect(try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], store: url).status == 0)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 404, body: "no chat here") }
        defer { ollama.stop() }
        let (server, port, log) = try ServeCLITests().startServer(store: url, ollama: ollama.url)
        defer { live.stop(server) }
        #expect(try await live.call(port, "GET", "/readyz").status == 200)

        try pgctl(control, "stop -m fast")
        try await eventually("readiness fails while the database is down") {
            try await live.call(port, "GET", "/readyz").status == 503
        }
        let down = try await live.call(port, "GET", "/readyz")
        #expect((down.object["checks"] as? [String: String])?["database"]?.contains("cannot be reached") == true, "\(down.object)")
        #expect(server.isRunning, "the replica keeps running")

        try pgctl(control, "start")
        try await eventually("the replica recovers by itself") { try await live.call(port, "GET", "/readyz").status == 200 }
        let put = try await live.call(port, "PUT", "/v1/documents/by-path/net/dns.md",
                                      json: ##"{"content":"# DNS\n## Fix\nFlush the resolver cache."}"##)
        #expect(put.status == 201, "\(put.object) \(log.all)")
        try await eventually("the recovered replica answers from the database") {
            try await live.query(port, "flush resolver cache").paths.contains("net/dns.md")
        }
    }

    // posix_spawn and waitpid rather than Process: the server pg_ctl starts keeps every descriptor Foundation's
    // Process watches for the child's exit, so waitUntilExit would wait for the server to stop.
    private func pgctl(_ control: String, _ arguments: String) throws {
        var pid: pid_t = 0
        let words = ["/bin/sh", "-c", "\(control) \(arguments) >/dev/null"]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(status == 0, "pg_ctl \(arguments)")
    }
}
