import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// Running `kb serve` processes follow writes made by other processes on the same file.
@Suite(.serialized)
struct LiveServeCLITests {
    struct Reply {
        var status: Int
        var object: [String: Any]
        var paths: [String] { (object["results"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String } }
        var texts: [String] { (object["results"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String } }
    }

    func call(_ port: Int, _ method: String, _ path: String, json: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, object: object)
    }

    func query(_ port: Int, _ question: String) async throws -> Reply {
        try await call(port, "POST", "/v1/query", json: #"{"question":"\#(question)","k":5,"refusal":"min-score"}"#)
    }

    func stop(_ process: Process) {
        process.terminate()
        process.waitUntilExit()
    }

    @Test func aServerSeesIngestReplaceRemoveAndReindexByAnotherProcess() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let root = directory.appendingPathComponent("r")
        // The knowledge base starts on an Ollama model (a fake one), while the server embeds with the hash embedder.
        let ollama = try FakeHTTPServer { OllamaClientTests.embedVectors($0) }
        defer { ollama.stop() }
        let viaOllama = ["KB_EMBEDDER": "ollama", "OLLAMA_HOST": ollama.url]
        try writeFiles(["disk.md": "# Disk full\n## Fix\nRotate the logs with logrotate."], under: root)
        #expect(try CLITests().kb(["ingest", root.path], database: database, environment: viaOllama).status == 0)
        let (server, port, log) = try ServeCLITests().startServer(database: database, ollama: ollama.url,
                                                                  extra: ["--embedder", "hash"])
        defer { stop(server) }
        #expect(try await query(port, "rotate logs").status == 409, "a hash server cannot search all-minilm vectors")

        // The reindex switches the file to the server's embedder: the server swaps its index without a restart.
        #expect(try CLITests().kb(["reindex", "--embedder", "hash"], database: database).status == 0)
        try await eventually("the server follows the reindex") { try await query(port, "rotate logs").status == 200 }
        #expect(try await query(port, "rotate logs").paths.first == "disk.md")

        try writeFiles(["zebra.md": "# Zebra quokka failover\n## Steps\nPromote the quokka replica."], under: root)
        #expect(try CLITests().kb(["ingest", root.path], database: database).status == 0)
        try await eventually("the server sees the ingested runbook") {
            try await query(port, "zebra quokka failover").paths.contains("zebra.md")
        }

        try writeFiles(["zebra.md": "# Zebra quokka failover\n## Steps\nPromote the ocelot standby instead."], under: root)
        #expect(try CLITests().kb(["ingest", root.path], database: database).status == 0)
        try await eventually("the server sees the replaced runbook") {
            try await query(port, "zebra ocelot failover").texts.contains { $0.contains("ocelot") }
        }
        #expect(try await !query(port, "zebra quokka failover").texts.contains { $0.contains("quokka replica") })

        #expect(try CLITests().kb(["docs", "remove", "zebra.md"], database: database).status == 0)
        try await eventually("the server sees the removal") {
            try await !query(port, "zebra ocelot failover").paths.contains("zebra.md")
        }
        let metrics = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!).0
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(text.contains("kb_index_sequence ") && text.contains("kb_index_lag_seconds "), "\(log.all)")
        let ready = try await call(port, "GET", "/readyz")
        #expect(ready.status == 200 && (ready.object["index_sequence"] as? Int ?? 0) > 0)
    }

    @Test func twoServersOnOneFileSeeEachOthersWrites() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk full\n## Fix\nRotate the logs with logrotate."], under: directory)
        #expect(try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database).status == 0)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 404, body: "no chat here") }
        defer { ollama.stop() }
        let (first, a, _) = try ServeCLITests().startServer(database: database, ollama: ollama.url)
        defer { stop(first) }
        let (second, b, _) = try ServeCLITests().startServer(database: database, ollama: ollama.url)
        defer { stop(second) }

        let put = try await call(a, "PUT", "/v1/documents/by-path/net/dns.md",
                                 json: ##"{"content":"# DNS\n## Fix\nFlush the resolver cache of systemd-resolved."}"##)
        #expect(put.status == 201)
        try await eventually("server B sees the document PUT to server A") {
            try await query(b, "flush resolver cache").paths.contains("net/dns.md")
        }
        let shown = try await call(b, "GET", "/v1/documents/by-path/net/dns.md")
        #expect((shown.object["document"] as? [String: Any])?["source"] as? String == "api")

        #expect(try await call(b, "DELETE", "/v1/documents/by-path/net/dns.md").status == 200)
        try await eventually("server A sees the delete made through server B") {
            try await !query(a, "flush resolver cache").paths.contains("net/dns.md")
        }
    }

    @Test func commandsThatOnlyReadRefuseAMistypedDatabase() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let typo = directory.appendingPathComponent("kb.sqlit")
        for arguments in [["query", "disk"], ["ask", "disk"], ["stats"], ["docs", "list"], ["serve", "--port", "0"]] {
            let run = try CLITests().kb(arguments, database: typo)
            #expect(run.status != 0, "\(arguments)")
            #expect(run.stderr.contains("no knowledge base at \(typo.path)"), "\(arguments): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: typo.path), "\(arguments) created the file")
        }
    }
}
