import Foundation
import Testing

/// Runs the built `kb` executable end to end on the project's own `Corpus/` with the hash embedder.
@Suite(.serialized)
struct CLITests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        // The test bundle sits next to the executables in the build folder.
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kb")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/kb")
    }

    func kb(_ arguments: [String], database: URL, environment: [String: String] = [:]) throws -> Run {
        try kb(arguments + ["--db", database.path], environment: environment)
    }

    /// Runs kb on the knowledge base at `store` (a path or a URL, as `--store` takes it).
    func kb(_ arguments: [String], store: String, environment: [String: String] = [:]) throws -> Run {
        try kb(arguments + ["--store", store], environment: environment)
    }

    func kb(_ arguments: [String], environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["KB_EMBEDDER"] = "hash"  // these tests exercise the offline lexical embedder
        env["KB_DB"] = nil
        env["KB_STORE"] = nil
        env["KB_API_TOKEN"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func ingestQueryAndReingestTheShippedCorpus() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let corpus = packageRoot.appendingPathComponent("Corpus").path
        let corpusFiles = try FileManager.default.subpathsOfDirectory(atPath: corpus)
            .filter { $0.hasSuffix(".md") || $0.hasSuffix(".txt") }

        let first = try kb(["ingest", corpus, "--json"], database: database)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("lexical"))
        let summary = try json(first.stdout)
        #expect(summary["added"] as? Int == corpusFiles.count)
        #expect((summary["chunks"] as? Int ?? 0) > corpusFiles.count)

        let again = try json(try kb(["ingest", corpus, "--json"], database: database).stdout)
        #expect(again["unchanged"] as? Int == corpusFiles.count)
        #expect(again["embedding_requests"] as? Int == 0)

        let query = try kb(["query", "no space left on device, the disk is full", "--json", "-k", "3"], database: database)
        #expect(query.status == 0, "\(query.stderr)")
        let result = try json(query.stdout)
        #expect(Set(result.keys) == ["question", "mode", "refused", "evidence", "results", "prompt", "timings_ms"])
        let results = try #require(result["results"] as? [[String: Any]])
        // -k 3 passages retrieved; the context may add sections of their runbooks after them.
        #expect(results.prefix(3).allSatisfy { $0["included"] as? String == "retrieved" })
        #expect(results.dropFirst(3).allSatisfy { ["section", "runbook"].contains($0["included"] as? String) })
        #expect(Set(results[0].keys).subtracting(["also_in"]) == ["rank", "chunk_id", "path", "heading", "score", "text",
                                                                 "lines", "source", "metadata", "included"])
        #expect((results[0]["path"] as? String)?.hasSuffix("disk-full.md") == true)
        #expect((result["prompt"] as? String)?.contains("[1] ") == true)
        #expect(Set((result["timings_ms"] as? [String: Any] ?? [:]).keys) == ["embed", "search", "total"])

        let human = try kb(["query", "certificate expired x509"], database: database)
        #expect(human.stdout.contains("tls-certificate-expiry.md"))
        #expect(human.stdout.contains("──── prompt ────"))

        let stats = try kb(["stats"], database: database)
        #expect(stats.stdout.contains("documents: \(corpusFiles.count)"))
        #expect(stats.stdout.contains("hash embedder"))
    }

    @Test func docsListShowRemoveAndEmbed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["a/disk.md": "# Disk\n## Fix\nDelete logs.", "a/dns.md": "# DNS\nCheck resolv.conf."],
                       under: directory)
        #expect(try kb(["ingest", directory.appendingPathComponent("a").path], database: database).status == 0)
        let list = try kb(["docs", "list"], database: database)
        #expect(list.stdout.contains("disk.md") && list.stdout.contains("dns.md"))
        let show = try kb(["docs", "show", "disk.md"], database: database)
        #expect(show.stdout.contains("Disk › Fix") && show.stdout.contains("Delete logs."))
        let remove = try kb(["docs", "remove", "disk.md"], database: database)
        #expect(remove.status == 0)
        #expect(!(try kb(["docs", "list"], database: database).stdout.contains("disk.md")))
        let missing = try kb(["docs", "show", "disk.md"], database: database)
        #expect(missing.status != 0 && missing.stderr.contains("kb docs list"))

        let embed = try json(try kb(["embed", "disk full", "--json"], database: database).stdout)
        #expect(embed["model"] as? String == "hash-v1")
        #expect(embed["dim"] as? Int == 512)
        #expect((embed["embedding"] as? [Double])?.count == 512)
    }

    @Test func clearErrorsForBadInput() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        let notes = directory.appendingPathComponent("notes.txt")
        try Data("just some notes".utf8).write(to: notes)

        let notDatabase = try kb(["stats"], database: notes)
        #expect(notDatabase.status != 0)
        #expect(notDatabase.stderr.contains("not an SQLite database"))
        #expect(try String(contentsOf: notes, encoding: .utf8) == "just some notes")

        let missingPath = try kb(["ingest", directory.appendingPathComponent("nope").path], database: database)
        #expect(missingPath.status != 0 && missingPath.stderr.contains("does not exist"))

        let empty = try kb(["query", "anything"], database: database)
        #expect(empty.status != 0 && empty.stderr.contains("kb ingest"))

        let badK = try kb(["query", "x", "-k", "0"], database: database)
        #expect(badK.status != 0 && badK.stderr.contains("-k must be between 1 and 100"))

        #expect(try kb(["ingest", notes.path], database: database).status == 0)
        let ollama = try kb(["query", "notes", "--embedder", "ollama"], database: database)
        #expect(ollama.status != 0)
        #expect(ollama.stderr.contains("kb reindex --embedder ollama"))
    }

    @Test func reindexSwitchesOnlyWhenComplete() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles(["r/disk.md": "# Disk\n## Fix\nDelete logs."], under: directory)
        #expect(try kb(["ingest", directory.appendingPathComponent("r").path], database: database).status == 0)
        // Nothing listens on the refusing port: the reindex must fail and leave the hash index in place.
        let refusing = try RefusingPort()
        defer { refusing.release() }
        let failed = try kb(["reindex", "--embedder", "ollama"], database: database,
                            environment: ["OLLAMA_HOST": refusing.url])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("cannot reach Ollama"))
        #expect(try kb(["stats"], database: database).stdout.contains("hash embedder"))
        #expect(try kb(["query", "delete logs"], database: database).status == 0)
    }

    /// Several processes creating and migrating one new file at the same moment all succeed, and all their
    /// documents are kept (the schema version and the embedder are checked inside the write transaction).
    @Test func processesCreatingOneFileAtOnceAllSucceed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writers = 4
        for index in 0..<writers {
            try "# Runbook \(index)\n\nRestart service \(index).\n"
                .write(to: directory.appendingPathComponent("r\(index).md"), atomically: true, encoding: .utf8)
        }
        for round in 0..<3 {
            let database = directory.appendingPathComponent("kb-\(round).sqlite")
            let processes = try (0..<writers).map { index in
                let process = Process()
                process.executableURL = Self.executable
                process.arguments = ["ingest", directory.appendingPathComponent("r\(index).md").path,
                                     "--db", database.path, "--log-level", "error"]
                var environment = ProcessInfo.processInfo.environment
                environment["KB_EMBEDDER"] = "hash"
                process.environment = environment
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                return process
            }
            for process in processes { process.waitUntilExit() }
            #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: writers), "round \(round)")
            let listed = try kb(["docs", "list", "--json"], database: database)
            let documents = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
            #expect(documents?.count == writers, "\(listed.stdout) \(listed.stderr)")
        }
    }
}
