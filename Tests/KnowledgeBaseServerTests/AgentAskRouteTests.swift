import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Synchronization
import Testing
@testable import KnowledgeBaseServer

/// A chat model that calls tools: one turn per scripted step, then the answer.
final class FakeToolChat: ChatClient, ToolChatClient {
    let steps: [[ToolCall]]
    let answer: [String]
    private let turns = Mutex<[[AgentMessage]]>([])

    init(steps: [[ToolCall]], answer: [String]) {
        self.steps = steps
        self.answer = answer
    }

    var received: [[AgentMessage]] { turns.withLock { $0 } }

    /// The single-retrieval fallback: the answer without tools.
    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        let answer = answer
        return AsyncThrowingStream { continuation in
            for token in answer { continuation.yield(.token("plain: " + token)) }
            continuation.yield(.done(ChatStats(doneReason: "stop")))
            continuation.finish()
        }
    }

    func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
    {
        let turn = turns.withLock { $0.append(messages); return $0.count - 1 }
        let steps = steps, answer = answer
        return AsyncThrowingStream { continuation in
            if turn < steps.count && !tools.isEmpty {
                continuation.yield(.toolCalls(steps[turn]))
            } else {
                for token in answer { continuation.yield(.token(token)) }
            }
            continuation.yield(.done(ChatStats(doneReason: "stop")))
            continuation.finish()
        }
    }
}

struct AgentAskRouteTests {
    func lines(_ response: TestResponse) throws -> [[String: Any]] {
        try response.text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func streamsToolCallsSourcesTokensAndDoneWithEveryPassageShown() async throws {
        let chat = FakeToolChat(steps: [[ToolCall(name: "search_runbooks", arguments: ["question": "logrotate"])],
                                        [ToolCall(name: "get_runbook", arguments: ["path": "cert-expiry.md"]),
                                         ToolCall(name: "nope", arguments: [:])]],
                                answer: ["Rotate logs [1]", " and renew [2]", " [8]."])
        let server = try await TestServer(toolChat: chat)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/ask", json: #"{"question":"disk and cert","agent":true}"#)
            #expect(response.status == .ok)
            let events = try lines(response)
            let types = events.compactMap { $0["type"] as? String }
            #expect(types.first == "sources" && types.last == "done")
            #expect(types.filter { $0 == "tool_call" }.count == 3)
            let calls = events.filter { $0["type"] as? String == "tool_call" }
            #expect(calls.map { $0["name"] as? String } == ["search_runbooks", "get_runbook", "nope"])
            #expect(calls.map { $0["is_error"] as? Bool } == [false, false, true])
            let done = try #require(events.last)
            let sources = try #require(done["sources"] as? [[String: Any]])
            // The search's passage, the rest of its (small) runbook the context adds, then get_runbook's.
            #expect(sources.map { $0["number"] as? Int } == [1, 2, 3])
            #expect(sources.map { $0["path"] as? String } == ["disk-full.md", "disk-full.md", "cert-expiry.md"])
            #expect(sources.contains { $0["path"] as? String == "cert-expiry.md" })
            #expect(done["invalid_citations"] as? [Int] == [8])
            #expect((done["citations"] as? [[String: Any]])?.count == 2)
        }
        #expect(chat.received.count == 3)
    }

    @Test func nonStreamedAnswerCarriesToolCallsAndNotes() async throws {
        let chat = FakeToolChat(steps: [[ToolCall(name: "search_runbooks", arguments: ["question": "df -h"])]],
                                answer: ["Run df -h [1]."])
        let server = try await TestServer(toolChat: chat)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/ask",
                                                 json: #"{"question":"disk full","agent":true,"stream":false}"#)
            #expect(response.status == .ok)
            #expect(response.object["answer"] as? String == "Run df -h [1].")
            let calls = try #require(response.object["tool_calls"] as? [[String: Any]])
            #expect(calls.count == 1 && calls[0]["name"] as? String == "search_runbooks")
            #expect(response.object["notes"] as? [String] == [])
            #expect((response.object["citations"] as? [[String: Any]])?.first?["path"] as? String == "disk-full.md")
        }
    }

    @Test func aChatClientWithoutToolsFallsBackWithANote() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let events = try lines(try await client.send(.post, "/v1/ask",
                                                         json: #"{"question":"disk full logrotate","agent":true}"#))
            #expect(events.first?["type"] as? String == "note")
            #expect((events.first?["text"] as? String)?.contains("cannot call tools") == true)
            #expect(events.last?["type"] as? String == "done")
            #expect((events.last?["citations"] as? [[String: Any]])?.first?["number"] as? Int == 1)
        }
    }

    @Test func aTemplateCannotBeCombinedWithTheAgent() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/ask",
                                                 json: #"{"question":"x","agent":true,"template":"diagnose"}"#)
            #expect(response.status == .badRequest && response.errorMessage.contains("\"template\" cannot be used"))
            let typed = try await client.send(.post, "/v1/ask", json: #"{"question":"x","agent":"yes"}"#)
            #expect(typed.status == .badRequest)
        }
    }
}
