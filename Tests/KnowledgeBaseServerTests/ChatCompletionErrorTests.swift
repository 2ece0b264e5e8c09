import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// `/v1/models` and the errors of the OpenAI-compatible routes: OpenAI's shape, the right status, never a 500.
struct ChatCompletionErrorTests {
    struct OpenAIErrorBody {
        var message: String
        var type: String
        var param: String?
        var code: String?
    }

    static func error(_ response: TestResponse) throws -> OpenAIErrorBody {
        let error = try #require(response.object["error"] as? [String: Any], "not an OpenAI error: \(response.text)")
        #expect(error.keys.sorted() == ["code", "message", "param", "type"])
        return OpenAIErrorBody(message: try #require(error["message"] as? String),
                               type: try #require(error["type"] as? String),
                               param: error["param"] as? String, code: error["code"] as? String)
    }

    static let question = #"[{"role":"user","content":"disk full"}]"#

    @Test(arguments: [
        (#"{"model":"kb","messages":"# + question + #", "temperature":3}"#, "temperature"),
        (#"{"model":"kb","messages":"# + question + #", "top_p":-0.1}"#, "top_p"),
        (#"{"model":"kb","messages":"# + question + #", "max_tokens":0}"#, "max_tokens"),
        (#"{"model":"kb","messages":"# + question + #", "stop":["a","b","c","d","e"]}"#, "stop"),
        (#"{"model":"kb","messages":"# + question + #", "n":2}"#, "n"),
        (#"{"model":"kb","messages":"# + question + #", "logprobs":true}"#, "logprobs"),
        (#"{"model":"kb","messages":"# + question + #", "tools":[{"type":"function"}]}"#, "tools"),
        (#"{"model":"kb","messages":"# + question + #", "response_format":{"type":"json_object"}}"#, "response_format"),
        (#"{"model":"","messages":"# + question + #"}"#, "model"),
        (#"{"model":"kb:","messages":"# + question + #"}"#, "model"),
        (#"{"model":"kb","messages":[]}"#, "messages"),
        (#"{"model":"kb","messages":[{"role":"user","content":"  "}]}"#, "messages"),
        (#"{"model":"kb","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#, "messages"),
        (#"{"model":"kb","messages":[{"role":"tool","content":"42","tool_call_id":"x"}]}"#, "messages[0].role"),
        (#"{"model":"kb","messages":[{"role":"robot","content":"hi"}]}"#, "messages[0].role"),
        (#"{"model":"x","messages":[{"role":"user"}]}"#, "messages[0].content"),
    ])
    func aBadFieldIsA400NamingIt(body: String, param: String) async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: body)
            #expect(response.status == .badRequest, "\(body): \(response.text)")
            let error = try Self.error(response)
            #expect(error.type == "invalid_request_error")
            #expect(error.param == param, "\(body): \(error.message)")
        }
        #expect(server.chat.received.isEmpty)
    }

    @Test(arguments: [
        (#"{"model":"kb","messages":"# + question + #", "temprature":1}"#, "temprature"),
        (#"{"model":"kb","messages":"# + question + #", "kb":{"k":0}}"#, "kb.k"),
        (#"{"model":"kb","messages":"# + question + #", "kb":{"kk":1}}"#, "kk"),
        (#"{"model":"kb","messages":"# + question + #", "kb":{"template":"nope"}}"#, "kb.template"),
        (#"{"model":"kb","messages":"# + question + #", "kb":{"mode":"psychic"}}"#, "mode"),
        (#"{"model":"kb","messages":[{"role":"user","content":[{"type":"image_url"}]}]}"#, "image_url"),
        (#"{"model":"kb","messages":[{"role":"user","content":7}]}"#, "content"),
        (#"{"model":7,"messages":[]}"#, "model"),
        (#"{"messages":[]}"#, "model"),
        (#"["model"]"#, "JSON object"),
        (#"{"model":"kb","#, "not valid JSON"),
    ])
    func aBodyThatDoesNotDecodeIsA400SayingWhatIsWrong(body: String, mentioned: String) async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/chat/completions", json: body)
            #expect(response.status == .badRequest, "\(body): \(response.text)")
            let error = try Self.error(response)
            #expect(error.type == "invalid_request_error" && error.code != nil)
            #expect(error.message.contains(mentioned), "\(body): \(error.message)")
        }
    }

    @Test func transportMistakesKeepTheirStatusInOpenAIsShape() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(maxChatBytes: 2048))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let text = try await client.send(.post, "/v1/chat/completions", json: "{}", contentType: "text/plain")
            #expect(text.status == .unsupportedMediaType)
            #expect(try Self.error(text).code == "unsupported_media_type")
            let big = try await client.send(.post, "/v1/chat/completions",
                                            json: #"{"model":"kb","messages":[{"role":"user","content":""#
                                                + String(repeating: "x", count: 4000) + "\"}]}")
            #expect(big.status == .contentTooLarge)
            #expect(try Self.error(big).code == "body_too_large")
            let get = try await client.send(.get, "/v1/chat/completions")
            #expect(get.status == .methodNotAllowed && get.headers[.allow] == "POST")
            #expect(try Self.error(get).code == "method_not_allowed")
            let post = try await client.send(.post, "/v1/models", json: "{}")
            #expect(post.status == .methodNotAllowed)
            #expect(try Self.error(post).type == "invalid_request_error")
        }
    }

    @Test func anUnknownModelIsA404BeforeAnyStreamStarts() async throws {
        let server = try await TestServer(chat: FakeChat(known: ["llama3.2"]))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            for stream in [false, true] {
                let response = try await client.send(.post, "/v1/chat/completions", json: """
                    {"model":"kb:nosuch","stream":\(stream),"messages":[{"role":"user","content":"disk full logrotate"}]}
                    """)
                #expect(response.status == .notFound)
                let error = try Self.error(response)
                #expect(error.code == "model_not_found" && error.param == "model")
                #expect(error.message.contains("nosuch") && error.message.contains("/v1/models"))
            }
        }
    }

    @Test func modelsListsEveryChatModelGroundedAndPlain() async throws {
        let server = try await TestServer(chat: FakeChat(installed: [ChatModelInfo(name: "llama3.2:latest", modified: 5),
                                                                     ChatModelInfo(name: "qwen3:8b", modified: 6)]))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.get, "/v1/models")
            #expect(response.status == .ok)
            #expect(response.object["object"] as? String == "list")
            let data = try #require(response.object["data"] as? [[String: Any]])
            #expect(data.compactMap { $0["id"] as? String }
                == ["kb:llama3.2:latest", "kb:qwen3:8b", "llama3.2:latest", "qwen3:8b"])
            #expect(data.compactMap { $0["owned_by"] as? String } == ["kb", "kb", "ollama", "ollama"])
            #expect(data.allSatisfy { $0["object"] as? String == "model" } && data[1]["created"] as? Int == 6)
        }
    }

    @Test func modelsWithOllamaDownIsA503() async throws {
        let server = try await TestServer(chat: FakeChat(installed: nil))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.get, "/v1/models")
            #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] != nil)
            let error = try Self.error(response)
            #expect(error.type == "server_error" && error.code == "upstream_unavailable")
        }
    }

    @Test func theReadTokenIsRequiredAsOnEveryReadRoute() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(apiToken: "write", readToken: "read"))
        defer { server.cleanUp() }
        let body = #"{"model":"kb","messages":[{"role":"user","content":"disk full logrotate"}]}"#
        try await server.application.test(.router) { client in
            for (path, method, json) in [("/v1/models", HTTPRequest.Method.get, nil), ("/v1/chat/completions", .post, body)] {
                let missing = try await client.send(method, path, json: json)
                #expect(missing.status == .unauthorized && missing.headers[.wwwAuthenticate] == "Bearer")
                #expect(try Self.error(missing).type == "authentication_error")
                let wrong = try await client.send(method, path, json: json, headers: [.authorization: "Bearer nope"])
                #expect(wrong.status == .unauthorized)
                #expect(wrong.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
                #expect(try Self.error(wrong).type == "authentication_error")
                #expect(try Self.error(wrong).code == "invalid_token")
                for token in ["read", "write"] {
                    let allowed = try await client.send(method, path, json: json, headers: [.authorization: "Bearer \(token)"])
                    #expect(allowed.status == .ok, "\(path) with the \(token) token: \(allowed.text)")
                }
            }
        }
    }
}
