import Foundation
import Testing

/// `kb ask --agent` and `kb chat --agent` end to end against a fake Ollama whose model calls tools.
@Suite(.serialized)
struct AgentCLITests {
    /// Calls search_runbooks first, then answers; `toolResults` counts the tool messages the request carries.
    static func ollama() throws -> FakeOllama {
        try FakeOllama { body, toolResults in
            body["tools"] != nil && toolResults == 0
                ? FakeOllama.calls([["name": "search_runbooks", "arguments": ["question": "certbot renew", "k": 1]]])
                : FakeOllama.answer(["Run certbot renew [1]", " and hope [5]."])
        }
    }

    @Test func askPrintsToolCallsTheAnswerThePassagesShownAndCheckedCitations() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AskCLITests().knowledgeBase(directory)
        let ollama = try Self.ollama()
        defer { ollama.server.stop() }
        let run = try AskCLITests().ask(["ask", "--agent", "how do I renew the certificate?"], database: database,
                                        ollama: ollama.server.url)
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout
        let call = try #require(out.range(of: #"→ search_runbooks {"k":1,"question":"certbot renew"} → [1]"#))
        let answer = try #require(out.range(of: "Run certbot renew [1] and hope [5]."))
        let shown = try #require(out.range(of: "Sources shown:\n  [1] cert-expiry.md › Certificate expiry › Renew"))
        let citations = try #require(out.range(of: "Citations:\n  [1] cert-expiry.md › Certificate expiry › Renew"))
        #expect(call.lowerBound < answer.lowerBound && answer.lowerBound < shown.lowerBound
            && shown.lowerBound < citations.lowerBound)
        #expect(out.contains("the answer cites [5], which is not among the sources given"))
        #expect(ollama.requests.count == 2)
    }

    @Test func askJSONCarriesToolCallsAndNotes() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AskCLITests().knowledgeBase(directory)
        let ollama = try Self.ollama()
        defer { ollama.server.stop() }
        let run = try AskCLITests().ask(["ask", "--agent", "--json", "renew the certificate"], database: database,
                                        ollama: ollama.server.url)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let calls = try #require(object["tool_calls"] as? [[String: Any]])
        #expect(calls.first?["name"] as? String == "search_runbooks" && calls.first?["sources"] as? [Int] == [1])
        #expect(object["notes"] as? [String] == [])
        #expect(object["invalid_citations"] as? [Int] == [5])
    }

    @Test func aTemplateWithAgentIsAnErrorBeforeAnyWork() throws {
        let run = try CLITests().kb(["ask", "--agent", "--template", "diagnose", "x"],
                                    database: URL(fileURLWithPath: "/nonexistent/kb.sqlite"))
        #expect(run.status != 0 && run.stderr.contains("--agent uses its own instructions"))
    }

    @Test func chatWithAgentAnswersEachQuestionWithToolsAndKeepsTheConversation() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AskCLITests().knowledgeBase(directory)
        let ollama = try Self.ollama()
        defer { ollama.server.stop() }
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["chat", "--agent", "--db", database.path, "--chat-model", "stub"]
        var environment = ProcessInfo.processInfo.environment
        environment["OLLAMA_HOST"] = ollama.server.url
        environment["KB_EMBEDDER"] = "hash"
        process.environment = environment
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("renew the certificate?\n/sources\nand then?\n/quit\n".utf8))
        try input.fileHandleForWriting.close()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(out.contains("→ search_runbooks") && out.contains("Run certbot renew [1]"))
        #expect(out.contains("[1] cert-expiry.md › Certificate expiry › Renew\nRun certbot renew and reload nginx."))
        // The second question goes to the model with the first exchange before it.
        let second = try #require(ollama.requests.dropFirst(2).first?["messages"] as? [[String: Any]])
        #expect(second.map { $0["role"] as? String ?? "" }.prefix(4) == ["system", "user", "assistant", "user"])
        #expect(second[3]["content"] as? String == "and then?")
    }
}
