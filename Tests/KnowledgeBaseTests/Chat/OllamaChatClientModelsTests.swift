import Foundation
import Testing
@testable import KnowledgeBase

/// Sampling options on `/api/chat`, and the chat models from `/api/tags` and `/api/show`.
@Suite(.serialized)
struct OllamaChatClientModelsTests {
    @Test func optionsAreSentUnderOllamasNamesAndOnlyWhenSet() async throws {
        let done = #"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length"}"# + "\n"
        let server = try FakeHTTPServer { _ in FakeResponse(status: 200, body: done) }
        defer { server.stop() }
        let client = OllamaChatClient(host: server.url)
        for try await _ in client.chat(model: "m", messages: [], options: ChatOptions(
            temperature: 0.2, topP: 0.9, maxTokens: 12, stop: ["END"], seed: 3, presencePenalty: 1, frequencyPenalty: -1)) {}
        for try await _ in client.chat(model: "m", messages: []) {}
        let requests = server.requests
        #expect(requests.count == 2)
        let options = try #require(requests[0].json["options"] as? [String: Any])
        #expect(options["temperature"] as? Double == 0.2 && options["top_p"] as? Double == 0.9)
        #expect(options["num_predict"] as? Int == 12 && options["stop"] as? [String] == ["END"])
        #expect(options["seed"] as? Int == 3 && options["presence_penalty"] as? Double == 1)
        #expect(options["frequency_penalty"] as? Double == -1)
        #expect(requests[1].json["options"] == nil)
    }

    @Test func chatModelsAreThoseWithCompletionOrNotOfABertFamily() async throws {
        let server = try FakeHTTPServer { request in
            switch (request.method, request.path) {
            case ("GET", "/api/tags"):
                return .json(["models": [
                    ["name": "all-minilm:latest", "modified_at": "2026-01-02T03:04:05.123456789Z",
                     "details": ["family": "bert", "families": ["bert"]]],
                    ["name": "llama3.2:latest", "modified_at": "2026-01-02T03:04:05.123456789Z",
                     "details": ["family": "llama"]],
                    ["name": "old-embedder:latest", "details": ["family": "nomic-bert"]],
                    ["name": "mystery:7b", "modified_at": "2026-01-02T03:04:05Z", "details": ["family": "bert"]],
                ]])
            case ("POST", "/api/show"):
                switch request.json["model"] as? String {
                case "all-minilm:latest": return .json(["capabilities": ["embedding"]])
                case "llama3.2:latest": return .json(["capabilities": ["completion", "tools"]])
                // Older Ollama: no capabilities; a failing show falls back to the family too.
                case "old-embedder:latest": return .json(["details": [:]])
                default: return .json(["capabilities": ["completion"]])
                }
            default:
                return FakeResponse(status: 404, body: "404 page not found")
            }
        }
        defer { server.stop() }
        let models = try await OllamaChatClient(host: server.url).models()
        #expect(models.map(\.name) == ["llama3.2:latest", "mystery:7b"])
        #expect(models.first?.modified == 1_767_323_045)
        #expect(models.last?.modified == 1_767_323_045)
    }

    @Test func listingWithOllamaDownOrRefusingIsAChatError() async throws {
        let refusing = try RefusingPort()
        defer { refusing.release() }
        await #expect {
            try await OllamaChatClient(host: refusing.url).models()
        } throws: { error in
            guard case ChatError.unreachable = error else { return false }
            return true
        }
        let server = try FakeHTTPServer { _ in .json(["error": "boom"], status: 500) }
        defer { server.stop() }
        await #expect {
            try await OllamaChatClient(host: server.url).models()
        } throws: { error in
            guard case ChatError.http(500, "boom") = error else { return false }
            return true
        }
    }
}
