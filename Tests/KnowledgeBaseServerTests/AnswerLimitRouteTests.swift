import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// Caps on answers and the chat-model allow-list, over HTTP.
struct AnswerLimitRouteTests {
    func lines(_ response: TestResponse) -> [[String: Any]] {
        response.text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    @Test func anAnswerThatReachesTheTokenCapEndsWithAnErrorNamingIt() async throws {
        var configuration = ServerConfiguration()
        configuration.answerLimits = AnswerLimits(maxTokens: 3, timeout: .seconds(300))
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let events = lines(try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate"}"#))
            #expect(events.filter { $0["type"] as? String == "token" }.count == 3)
            #expect(events.last?["type"] as? String == "error")
            let message = (events.last?["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("3 tokens") && message.contains("--max-answer-tokens"), "\(message)")
        }
        #expect(server.chat.receivedOptions.map(\.maxTokens) == [3], "the cap is sent to Ollama as num_predict")
    }

    @Test func aClientsOwnSmallerMaxTokensEndsNormally() async throws {
        var configuration = ServerConfiguration()
        configuration.answerLimits = AnswerLimits(maxTokens: 100)
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb","max_tokens":2,"messages":[{"role":"user","content":"disk full logrotate"}]}
                """)
            #expect(response.status == .ok)
            let choice = (response.object["choices"] as? [[String: Any]])?.first
            #expect(choice?["finish_reason"] as? String == "length")
        }
        #expect(server.chat.receivedOptions.map(\.maxTokens) == [2])
    }

    @Test func onlyAllowedChatModelsMayBeNamed() async throws {
        let chat = FakeChat(installed: [ChatModelInfo(name: "llama3.2:latest", modified: 5),
                                        ChatModelInfo(name: "qwen3:8b", modified: 6)])
        let server = try await TestServer(chat: chat)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let ask = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full","model":"qwen3:8b"}"#)
            #expect(ask.status == .forbidden)
            #expect(ask.errorCode == "model_not_allowed")
            #expect(ask.errorMessage.contains("--chat-models qwen3:8b") && ask.errorMessage.contains("KB_CHAT_MODELS"))
            let agent = try await client.send(.post, "/v1/ask",
                                              json: #"{"question":"disk full","model":"qwen3:8b","agent":true}"#)
            #expect(agent.status == .forbidden)
            for model in ["qwen3:8b", "kb:qwen3:8b"] {
                let completion = try await client.send(.post, "/v1/chat/completions", json: """
                    {"model":"\(model)","messages":[{"role":"user","content":"disk full"}]}
                    """)
                #expect(completion.status == .forbidden, "\(model)")
                #expect(completion.text.contains("--chat-models"), "\(completion.text)")
            }
            // The configured model, however it is spelt, is always allowed.
            let named = try await client.send(.post, "/v1/ask",
                                              json: #"{"question":"disk full","model":"llama3.2:latest","stream":false}"#)
            #expect(named.status == .ok)
            let models = try await client.send(.get, "/v1/models")
            let ids = (models.object["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == ["kb:llama3.2:latest", "llama3.2:latest"])
        }
        #expect(chat.receivedModels.allSatisfy { $0.hasPrefix("llama3.2") })
    }

    @Test func theAllowListIsReadLikeAFlag() {
        #expect(ChatModelPolicy(list: nil) == .onlyDefault)
        #expect(ChatModelPolicy(list: " ") == .onlyDefault)
        #expect(ChatModelPolicy(list: "a, *") == .any)
        let policy = ChatModelPolicy(list: "Qwen3:8b, mistral")
        #expect(policy.allows("qwen3:8b", defaultModel: "llama3.2"))
        #expect(policy.allows("mistral:latest", defaultModel: "llama3.2"))
        #expect(policy.allows("llama3.2:latest", defaultModel: "llama3.2"))
        #expect(!policy.allows("phi4", defaultModel: "llama3.2"))
    }
}
