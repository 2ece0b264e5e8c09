import Foundation
import Testing

/// `kb ask` and `kb chat` end to end against a fake Ollama that streams its chat answer.
@Suite(.serialized)
struct AskCLITests {
    static func chatLines(_ tokens: [String], done: Bool = true) -> [String] {
        tokens.map { token -> String in
            let object: [String: Any] = ["message": ["role": "assistant", "content": token], "done": false]
            return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        } + (done ? [#"{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}"# + "\n"] : [])
    }

    func knowledgeBase(_ directory: URL) throws -> URL {
        let database = directory.appendingPathComponent("kb.sqlite")
        try writeFiles([
            "r/cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.",
            "r/disk-full.md": "# Disk full\n## Fix\nRotate the logs with logrotate.",
            "r/postgres.md": "# Postgres failover\n## Promote\nRun pg_ctl promote on the standby.\n## Replicas\nRepoint the replicas with primary_conninfo.",
            "r/redis.md": "# Redis memory\n## Evictions\nRaise maxmemory.\n## Replicas\nReplicas follow the new primary with replicaof.",
        ], under: directory)
        let run = try CLITests().kb(["ingest", directory.appendingPathComponent("r").path], database: database)
        #expect(run.status == 0)
        return database
    }

    func ask(_ arguments: [String], database: URL, ollama: String) throws -> CLITests.Run {
        try CLITests().kb(arguments + ["--chat-model", "stub"], database: database, environment: ["OLLAMA_HOST": ollama])
    }

    @Test func printsSourcesThenTheStreamedAnswerThenResolvedCitations() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try knowledgeBase(directory)
        let ollama = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: Self.chatLines(["Run ", "certbot renew ", "[1]", " and pray [4]."]))
        }
        defer { ollama.stop() }
        let run = try ask(["ask", "how do I renew the certificate?"], database: database, ollama: ollama.url)
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout
        let sources = try #require(out.range(of: "Sources:\n  [1] cert-expiry.md › Certificate expiry › Renew"))
        let answer = try #require(out.range(of: "Run certbot renew [1] and pray [4]."))
        let citations = try #require(out.range(of: "Citations:\n  [1] cert-expiry.md › Certificate expiry › Renew"))
        #expect(sources.lowerBound < answer.lowerBound && answer.lowerBound < citations.lowerBound)
        #expect(out.contains("[4]") && out.contains("not among the sources given"))
        let body = try #require(ollama.requests.first?.json)
        #expect(body["model"] as? String == "stub")
    }

    @Test func jsonOutputCarriesAnswerCitationsAndTimings() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try knowledgeBase(directory)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: Self.chatLines(["Rotate [1][9]."])) }
        defer { ollama.stop() }
        let run = try ask(["ask", "disk full rotate logs", "--json", "--template", "next-steps"], database: database,
                          ollama: ollama.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["answer"] as? String == "Rotate [1][9].")
        #expect(object["invalid_citations"] as? [Int] == [9])
        #expect(((object["citations"] as? [[String: Any]])?.first?["path"] as? String) == "disk-full.md")
        #expect((object["timings_ms"] as? [String: Any])?["first_token"] != nil)
        let prompt = ((ollama.requests.first?.json["messages"] as? [[String: String]])?.last?["content"]) ?? ""
        #expect(prompt.hasPrefix("The engineer describes where an incident stands"))
    }

    @Test func refusesWithoutCallingTheModel() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try knowledgeBase(directory)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: Self.chatLines(["x"])) }
        defer { ollama.stop() }
        let run = try ask(["ask", "quarterly marketing budget", "--min-score", "0.5"], database: database, ollama: ollama.url)
        #expect(run.status == 0)
        #expect(run.stdout.contains("do not cover this question"))
        #expect(ollama.requests.isEmpty)
    }

    @Test func ollamaDownMissingModelAndCutOffStreamsAreExplainedAfterTheSources() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try knowledgeBase(directory)

        let refusing = try RefusingPort()
        defer { refusing.release() }
        let down = try ask(["ask", "renew certificate"], database: database, ollama: refusing.url)
        #expect(down.status != 0)
        #expect(down.stdout.contains("Sources:"))
        #expect(down.stderr.contains("cannot reach Ollama"))

        let missing = try FakeHTTPServer { _ in .json(["error": "model 'stub' not found"], status: 404) }
        defer { missing.stop() }
        let noModel = try ask(["ask", "renew certificate"], database: database, ollama: missing.url)
        #expect(noModel.stdout.contains("Sources:") && noModel.stderr.contains("ollama pull stub"))

        let cut = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: Self.chatLines(["Run certbot"], done: false)) }
        defer { cut.stop() }
        let cutOff = try ask(["ask", "renew certificate"], database: database, ollama: cut.url)
        #expect(cutOff.status != 0)
        #expect(cutOff.stdout.contains("Run certbot") && cutOff.stderr.contains("cut off"))
    }

    @Test func chatKeepsHistoryRewritesFollowUpsAndHandlesCommands() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try knowledgeBase(directory)
        let ollama = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: Self.chatLines(["See [1]."])) }
        defer { ollama.stop() }
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["chat", "--db", database.path, "--chat-model", "stub", "-k", "1"]
        var environment = ProcessInfo.processInfo.environment
        environment["OLLAMA_HOST"] = ollama.url
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("how do I fail over postgres?\nand the replicas?\n/sources\n/reset\n/sources\n/quit\n".utf8))
        try input.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(out.contains("> how do I fail over postgres?") && out.contains("> and the replicas?"))
        // Alone, "the replicas" fits Redis as well as Postgres; rewritten with the first question it is Postgres.
        #expect(out.contains("[1] postgres.md › Postgres failover › Replicas"))
        #expect(out.contains("Repoint the replicas with primary_conninfo."), "/sources prints the last sources' text")
        #expect(out.contains("(conversation forgotten)") && out.contains("(no sources yet)"))
        let second = try #require(ollama.requests.dropFirst().first?.json["messages"] as? [[String: String]])
        #expect(second.map { $0["role"] ?? "" } == ["system", "user", "assistant", "user"])
        #expect(second.last?["content"]?.contains("Question: and the replicas?") == true, "the model sees the question as asked")
    }
}
