import Foundation
import Testing
@testable import KnowledgeBase

/// Ollama's `/api/chat` as a fake: each turn answers with a tool call or text, chosen from the request.
struct FakeOllama {
    let server: FakeHTTPServer

    /// `turn` gets the request body and how many tool results it carries, and returns the lines to stream.
    init(turn: @escaping @Sendable (_ body: [String: Any], _ toolResults: Int) -> FakeResponse) throws {
        server = try FakeHTTPServer { request in
            let body = request.json
            let messages = body["messages"] as? [[String: Any]] ?? []
            return turn(body, messages.filter { $0["role"] as? String == "tool" }.count)
        }
    }

    static func stream(_ lines: [[String: Any]]) -> FakeResponse {
        let text = lines.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        return FakeResponse(status: 200, body: "", pieces: text.map { $0 + "\n" })
    }

    /// A turn that calls tools: `calls` are `function` objects.
    static func calls(_ calls: [[String: Any]]) -> FakeResponse {
        stream([["message": ["role": "assistant", "content": "", "tool_calls": calls.map { ["function": $0] }],
                 "done": false],
                ["message": ["role": "assistant", "content": ""], "done": true, "done_reason": "stop"]])
    }

    static func answer(_ words: [String]) -> FakeResponse {
        stream(words.map { ["message": ["role": "assistant", "content": $0], "done": false] }
            + [["message": ["role": "assistant", "content": ""], "done": true, "done_reason": "stop", "eval_count": 9]])
    }

    var requests: [[String: Any]] { server.requests.map(\.json) }
    var client: OllamaChatClient { OllamaChatClient(host: server.url) }
}

struct RunbookAgentTests {
    func agent(_ fixture: RunbookFixture, _ ollama: FakeOllama) -> RunbookAgent {
        let engine = AnswerEngine(queryEngine: fixture.tools.queryEngine, chat: ollama.client, chatModel: "fake")
        return RunbookAgent(answerEngine: engine, chat: ollama.client)
    }

    struct Outcome {
        var text = ""
        var calls: [AgentToolCall] = []
        var shown: [QueryHit] = []
        var notes: [String] = []
        var prepared: PreparedAnswer?
    }

    func collect(_ stream: AsyncThrowingStream<AgentEvent, any Error>) async throws -> Outcome {
        var outcome = Outcome()
        for try await event in stream {
            switch event {
            case .token(let token): outcome.text += token
            case .toolCall(let call): outcome.calls.append(call)
            case .sources(let hits): outcome.shown += hits
            case .note(let note): outcome.notes.append(note)
            case .finished(let prepared): outcome.prepared = prepared
            }
        }
        return outcome
    }

    @Test func searchesThenReadsThenAnswersWithCitationsCheckedAgainstEveryPassageShown() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { _, results in
            switch results {
            case 0: return FakeOllama.calls([["name": "search_runbooks",
                                              "arguments": ["question": "disk full logrotate", "k": 2]]])
            case 1: return FakeOllama.calls([["name": "get_runbook", "arguments": ["path": "networking/cert expiry.md"]]])
            default: return FakeOllama.answer(["Rotate ", "the logs [1]; ", "renew [3]. ", "See [99]."])
            }
        }
        defer { ollama.server.stop() }
        let outcome = try await collect(agent(fixture, ollama).run("the disk is full and the cert expires"))
        #expect(outcome.text == "Rotate the logs [1]; renew [3]. See [99].")
        #expect(outcome.calls.map(\.name) == ["search_runbooks", "get_runbook"])
        #expect(outcome.calls.allSatisfy { !$0.isError })
        let prepared = try #require(outcome.prepared)
        #expect(prepared.query.results.map(\.rank) == Array(1...prepared.query.results.count))
        #expect(prepared.query.results.map(\.rank) == outcome.shown.map(\.rank))
        let cert = try #require(prepared.query.results.first { $0.path == "networking/cert expiry.md" })
        #expect(outcome.calls[1].sources == [cert.rank])
        let summary = prepared.summary(answer: outcome.text, started: .now, firstToken: nil)
        #expect(summary.citations.map(\.number) == [1, 3].filter { prepared.sourceNumbers.contains($0) })
        #expect(summary.invalidCitations == [99])

        // What Ollama was sent: the two tools as functions, then the calls and their results.
        let requests = ollama.requests
        #expect(requests.count == 3)
        let tools = try #require(requests[0]["tools"] as? [[String: Any]])
        #expect(tools.compactMap { ($0["function"] as? [String: Any])?["name"] as? String }
            == ["search_runbooks", "get_runbook"])
        #expect(tools.allSatisfy { $0["type"] as? String == "function" })
        let last = try #require(requests[2]["messages"] as? [[String: Any]])
        #expect(last.map { $0["role"] as? String ?? "" } == ["system", "user", "assistant", "tool", "assistant", "tool"])
        #expect((last[2]["tool_calls"] as? [[String: Any]])?.first.flatMap { $0["function"] as? [String: Any] }?["name"]
            as? String == "search_runbooks")
        #expect(last[3]["tool_name"] as? String == "search_runbooks")
        #expect((last[3]["content"] as? String)?.contains("[1] platform/disk-full.md") == true)
        #expect((last[5]["content"] as? String)?.contains("## [\(cert.rank)] Certificate expiry › Renew") == true)
    }

    @Test func malformedAndUnknownCallsAreToolErrorsAndTheLoopGoesOn() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { _, results in
            results == 0
                ? FakeOllama.calls([
                    ["name": "search_runbooks", "arguments": "{\"question\": \"disk"],
                    ["name": "delete_everything", "arguments": [:] as [String: Any]],
                    ["arguments": ["question": "disk"]],
                    ["name": "search_runbooks", "arguments": [1, 2]],
                    ["name": "search_runbooks", "arguments": ["question": "disk", "k": 0]],
                    ["name": "list_runbooks", "arguments": [:] as [String: Any]],
                    ["name": "search_runbooks", "arguments": "{\"question\": \"certbot renew\"}"],
                ])
                : FakeOllama.answer(["Renew with certbot [1]."])
        }
        defer { ollama.server.stop() }
        let outcome = try await collect(agent(fixture, ollama).run("how do I renew the certificate?"))
        #expect(outcome.text == "Renew with certbot [1].")
        #expect(outcome.calls.map(\.isError) == [true, true, true, true, true, true, false])
        let errors = outcome.calls.compactMap(\.error)
        #expect(errors[0].contains("the arguments of the call to search_runbooks are not a JSON object"))
        #expect(errors[1] == "there is no tool \"delete_everything\"; the tools are search_runbooks, get_runbook.")
        #expect(errors[2].hasPrefix("the tool call names no tool"))
        #expect(errors[3].contains("must be a JSON object, not an array"))
        #expect(errors[4].contains("\"k\" must be at least 1"))
        #expect(errors[5].contains("there is no tool \"list_runbooks\""))
        let messages = try #require(ollama.requests.last?["messages"] as? [[String: Any]])
        let told = messages.filter { $0["role"] as? String == "tool" }.compactMap { $0["content"] as? String }
        #expect(told.count == 7 && Array(told.prefix(6)) == errors)
        #expect(try #require(outcome.prepared).query.results.first?.path == "networking/cert expiry.md")
    }

    @Test func afterTheLastStepTheModelMustAnswerWithoutTools() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { body, _ in
            body["tools"] == nil
                ? FakeOllama.answer(["Check df -h [1]."])
                : FakeOllama.calls([["name": "search_runbooks", "arguments": ["question": "disk full"]]])
        }
        defer { ollama.server.stop() }
        var agent = agent(fixture, ollama)
        agent.maxSteps = 2
        let outcome = try await collect(agent.run("disk full"))
        #expect(outcome.text == "Check df -h [1].")
        #expect(outcome.calls.count == 2)
        #expect(outcome.notes == ["the model used all 2 rounds of tool calls"])
        let requests = ollama.requests
        #expect(requests.map { $0["tools"] != nil } == [true, true, false])
        let last = try #require((requests[2]["messages"] as? [[String: Any]])?.last)
        #expect((last["content"] as? String)?.hasPrefix("You cannot call tools any more.") == true)
    }

    @Test func withNoTimeLeftTheAnswerComesFromOneRetrieval() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { _, _ in FakeOllama.answer(["Check df -h [1]."]) }
        defer { ollama.server.stop() }
        var agent = agent(fixture, ollama)
        agent.timeLimit = .zero
        let outcome = try await collect(agent.run("disk full df"))
        #expect(ollama.requests.count == 1 && ollama.requests[0]["tools"] == nil)
        #expect(outcome.notes == ["no time or steps for tool calls; answered from one search instead"])
        let prepared = try #require(outcome.prepared)
        #expect(prepared.summary(answer: outcome.text, started: .now, firstToken: nil).citations.map(\.path)
            == ["platform/disk-full.md"])
    }

    @Test func aFirstAnswerWithoutAnyToolCallIsReplacedByOneRetrieval() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { body, _ in
            FakeOllama.answer(body["tools"] != nil ? ["From memory: ", "reboot it."] : ["Run df -h [1]."])
        }
        defer { ollama.server.stop() }
        let outcome = try await collect(agent(fixture, ollama).run("disk full df"))
        #expect(outcome.text == "Run df -h [1].", "the ungrounded first answer is never shown")
        #expect(outcome.notes == ["the model answered without calling a tool; answered from one search instead"])
        #expect(ollama.requests.map { $0["tools"] != nil } == [true, false])
        #expect(outcome.prepared?.query.results.first?.path == "platform/disk-full.md")
    }

    @Test func aModelWithoutToolSupportFallsBackToOneRetrievalWithANote() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { body, _ in
            body["tools"] != nil
                ? .json(["error": "registry.ollama.ai/library/gemma:2b does not support tools"], status: 400)
                : FakeOllama.answer(["Run certbot renew [1]."])
        }
        defer { ollama.server.stop() }
        let outcome = try await collect(agent(fixture, ollama).run("how do I renew the certificate with certbot?"))
        #expect(outcome.notes.count == 1 && outcome.notes[0].contains("cannot call tools"))
        #expect(outcome.notes[0].contains("does not support tools"))
        #expect(outcome.text == "Run certbot renew [1].")
        #expect(outcome.shown.first?.path == "networking/cert expiry.md")
        let prepared = try #require(outcome.prepared)
        #expect(prepared.summary(answer: outcome.text, started: .now, firstToken: nil).citations.map(\.number) == [1])
        // The second request is the usual prompt: numbered context in the user message, no tools.
        let second = try #require(ollama.requests.last)
        #expect(second["tools"] == nil)
        let user = try #require((second["messages"] as? [[String: Any]])?.last?["content"] as? String)
        #expect(user.contains("[1] networking/cert expiry.md"))
    }

    @Test func aChatClientWithoutToolsAnswersFromOneRetrieval() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let engine = AnswerEngine(queryEngine: fixture.tools.queryEngine, chat: ScriptedChat(answer: "df -h [1]."),
                                  chatModel: "m")
        let outcome = try await collect(RunbookAgent(answerEngine: engine, chat: nil).run("disk full df"))
        #expect(outcome.text == "df -h [1]." && outcome.notes.first?.contains("cannot call tools") == true)
        #expect(outcome.prepared?.query.results.first?.path == "platform/disk-full.md")
    }

    @Test func otherChatErrorsEndTheStream() async throws {
        let fixture = try await RunbookFixture()
        defer { fixture.cleanUp() }
        let ollama = try FakeOllama { _, _ in .json(["error": "model \"fake\" not found, try pulling it first"], status: 404) }
        defer { ollama.server.stop() }
        await #expect(throws: ChatError.self) { _ = try await collect(agent(fixture, ollama).run("disk full")) }
    }
}
