import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// `POST /v1/chat/completions`: grounded and passthrough answers, streamed and not.
struct ChatCompletionRouteTests {
    static let diskQuestion = #"{"role":"user","content":"the disk is full, how do I rotate logs?"}"#

    /// The `data:` payloads of an SSE body, checking the framing on the way.
    static func events(_ response: TestResponse) throws -> [String] {
        let text = response.text
        #expect(text.hasSuffix("\n\n"))
        return try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { frame in
            #expect(frame.hasPrefix("data: "), "every event is one data line: \(frame)")
            #expect(!frame.contains("\n"))
            return try #require(frame.split(separator: " ", maxSplits: 1).last.map(String.init))
        }
    }

    static func object(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    static func choice(_ object: [String: Any]) throws -> [String: Any] {
        try #require((object["choices"] as? [[String: Any]])?.first)
    }

    @Test func aGroundedAnswerCarriesItsCitedSourcesOnTheMessage() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb:llama3.2","messages":[{"role":"system","content":"Answer briefly."},\(Self.diskQuestion)]}
                """)
            #expect(response.status == .ok)
            let body = response.object
            #expect(body["object"] as? String == "chat.completion")
            #expect((body["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(body["model"] as? String == "kb:llama3.2")
            let choice = try Self.choice(body)
            #expect(choice["finish_reason"] as? String == "stop")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["role"] as? String == "assistant")
            #expect(message["content"] as? String == "Free space with logrotate [1] and [7].")
            let sources = try #require(message["sources"] as? [[String: Any]])
            #expect(sources.first?["path"] as? String == "disk-full.md")
            #expect(sources.first?["number"] as? Int == 1)
            #expect(sources.first?["lines"] as? [Int] != nil && sources.first?["score"] as? Double != nil)
            #expect(sources.map { $0["cited"] as? Bool } == sources.map { ($0["number"] as? Int) == 1 })
            let kb = try #require(body["kb"] as? [String: Any])
            #expect(kb["grounded"] as? Bool == true && kb["refused"] as? Bool == false)
            #expect(kb["invalid_citations"] as? [Int] == [7])
            let usage = try #require(body["usage"] as? [String: Int])
            #expect(usage == ["prompt_tokens": 10, "completion_tokens": 6, "total_tokens": 16])
        }
        // kb's instructions come first, the client's system message follows, then the context and the question.
        #expect(server.chat.receivedModels == ["llama3.2"])
        let messages = try #require(server.chat.received.first)
        #expect(messages.map(\.role) == ["system", "system", "user"])
        #expect(messages[0].content.contains("runbooks do not cover"))
        #expect(messages[1].content == "Answer briefly.")
        #expect(messages[2].content.contains("[1] disk-full.md › Disk full"))
    }

    @Test func aStreamedAnswerIsServerSentChunksEndingWithSourcesAndDone() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb","stream":true,"stream_options":{"include_usage":true},"messages":[\(Self.diskQuestion)]}
                """)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let events = try Self.events(response)
            #expect(events.last == "[DONE]")
            let chunks = try events.dropLast().map(Self.object)
            #expect(Set(chunks.compactMap { $0["id"] as? String }).count == 1)
            #expect(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            let first = try #require(try Self.choice(chunks[0])["delta"] as? [String: Any])
            #expect(first["role"] as? String == "assistant")
            // The usage chunk has no choices; the one before it ends the answer.
            let usage = try #require(chunks.last)
            #expect((usage["choices"] as? [Any])?.isEmpty == true)
            #expect((usage["usage"] as? [String: Int])?["completion_tokens"] == 6)
            let final = chunks[chunks.count - 2]
            let finalChoice = try Self.choice(final)
            #expect(finalChoice["finish_reason"] as? String == "stop")
            let sources = try #require((finalChoice["delta"] as? [String: Any])?["sources"] as? [[String: Any]])
            #expect(sources.first?["path"] as? String == "disk-full.md" && sources.first?["cited"] as? Bool == true)
            #expect((final["kb"] as? [String: Any])?["invalid_citations"] as? [Int] == [7])
            let text = try chunks.dropFirst().dropLast(2).map { chunk -> String in
                let choice = try Self.choice(chunk)
                #expect(choice["finish_reason"] is NSNull)
                return try #require((choice["delta"] as? [String: Any])?["content"] as? String)
            }.joined()
            #expect(text == "Free space with logrotate [1] and [7].")
        }
        #expect(server.chat.receivedModels == [ServerConfiguration().chatModel])
    }

    @Test func aQuestionTheRunbooksDoNotCoverIsRefusedWithoutCallingTheModel() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb:llama3.2","messages":[{"role":"user","content":"quarterly marketing budget"}]}
                """)
            #expect(response.status == .ok)
            let message = try #require(try Self.choice(response.object)["message"] as? [String: Any])
            #expect(message["content"] as? String == AnswerEngine.refusal)
            #expect((message["sources"] as? [Any])?.isEmpty == true)
            #expect((response.object["kb"] as? [String: Any])?["refused"] as? Bool == true)
            let streamed = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb:llama3.2","stream":true,"messages":[{"role":"user","content":"quarterly marketing budget"}]}
                """)
            let events = try Self.events(streamed)
            #expect(events.last == "[DONE]")
            #expect(events.contains { $0.contains("do not cover") })
        }
        #expect(server.chat.received.isEmpty)
    }

    @Test func aPlainModelNamePassesTheConversationThroughWithItsSettings() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"llama3.2:latest","temperature":0.2,"top_p":0.9,"max_tokens":3,"stop":"END","seed":7,
                 "messages":[{"role":"developer","content":"Be terse."},{"role":"user","content":"hi"},
                 {"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"title?"}]}]}
                """)
            #expect(response.status == .ok)
            let choice = try Self.choice(response.object)
            #expect(choice["finish_reason"] as? String == "length")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] as? String == "Free space with ")
            #expect(message["sources"] == nil)
            #expect((response.object["kb"] as? [String: Any])?["grounded"] as? Bool == false)
        }
        #expect(server.chat.receivedModels == ["llama3.2:latest"])
        let messages = try #require(server.chat.received.first)
        #expect(messages == [ChatMessage(role: "system", content: "Be terse."), ChatMessage(role: "user", content: "hi"),
                             ChatMessage(role: "assistant", content: ""), ChatMessage(role: "user", content: "title?")])
        #expect(server.chat.receivedOptions == [ChatOptions(temperature: 0.2, topP: 0.9, maxTokens: 3, stop: ["END"],
                                                            seed: 7)])
    }

    @Test func theKBObjectCarriesRetrievalSettingsAndEarlierTurnsBecomeHistory() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb:llama3.2","kb":{"k":1,"mode":"vector"},"messages":[{"role":"user","content":"disk full"},
                 {"role":"assistant","content":"check df"},\(Self.diskQuestion)]}
                """)
            #expect(response.status == .ok)
            let message = try #require(try Self.choice(response.object)["message"] as? [String: Any])
            // k 1: one passage retrieved; the context may add sections of its runbook after it.
            let sources = try #require(message["sources"] as? [[String: Any]])
            #expect(sources.first?["number"] as? Int == 1 && sources.count <= 3)
        }
        #expect(server.chat.received.first?.map(\.role) == ["system", "user", "assistant", "user"])
    }

    @Test func aFailureAfterTheStreamBeganIsAnErrorEventInOpenAIsShape() async throws {
        let server = try await TestServer(chat: FakeChat(failAfter: 2))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb:llama3.2","stream":true,"messages":[\(Self.diskQuestion)]}
                """)
            let events = try Self.events(response)
            #expect(!events.contains("[DONE]"))
            let last = try #require(events.last)
            let error = try #require(try Self.object(last)["error"] as? [String: Any])
            #expect(error["type"] as? String == "server_error" && error["code"] as? String == "upstream_error")
            #expect((error["message"] as? String)?.contains("cut off") == true)
            #expect(error.keys.sorted() == ["code", "message", "param", "type"])
        }
    }
}
