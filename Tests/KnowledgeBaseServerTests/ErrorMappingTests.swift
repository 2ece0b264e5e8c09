import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// An embedder whose failures carry internals a client must not see.
struct LeakyEmbedder: EmbeddingClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "cannot mmap /srv/secret/models/minilm.safetensors: SELECT * FROM chunks" }
    }
    let kind = "hash", model = "hash-v1", contextTokens = 512, preferredBatchSize = 64, maxConcurrentRequests = 1
    let error: any Error

    func embed(_ texts: [String]) async throws -> [[Float]] { throw error }
}

/// A chat model that sends one token, then fails with an error of no kb type.
struct LeakyChat: ChatClient {
    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.token("Rotate "))
            continuation.finish(throwing: LeakyEmbedder.Failure())
        }
    }
}

struct ErrorMappingTests {
    static let secrets = ["/srv/secret", "SELECT", "minilm.safetensors", "10.9.8.7", "kb.sqlite"]

    func application(_ server: TestServer, embedder: any EmbeddingClient) -> some ApplicationProtocol {
        var dependencies = server.dependencies
        dependencies.embedder = embedder
        return Application(router: buildRouter(dependencies))
    }

    func expectNoSecrets(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Self.secrets {
            #expect(!text.contains(secret), "leaks \(secret): \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func anUnexpectedErrorIsAGeneric500NamingTheRequestID() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await application(server, embedder: LeakyEmbedder(error: LeakyEmbedder.Failure())).test(.router) { client in
            let response = try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#,
                                                 headers: [.requestID: "req-42"])
            #expect(response.status == .internalServerError)
            let error = try #require(response.object["error"] as? [String: Any])
            #expect(error["code"] as? String == "internal_error")
            #expect(error["message"] as? String == "internal error; see the server log for request req-42")
            expectNoSecrets(response.text)

            let chat = try await client.send(.post, "/v1/chat/completions",
                                             json: #"{"model":"kb","messages":[{"role":"user","content":"disk"}]}"#,
                                             headers: [.requestID: "req-43"])
            #expect(chat.status == .internalServerError)
            let openAI = try #require(chat.object["error"] as? [String: Any])
            #expect(openAI["type"] as? String == "server_error")
            #expect((openAI["message"] as? String)?.contains("req-43") == true)
            expectNoSecrets(chat.text)
        }
    }

    @Test func storeErrorsKeepTheirSQLToTheLog() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let sql = StoreError.sqlite(code: 1, message: "no such table: chunks", sql: "SELECT * FROM chunks")
        try await application(server, embedder: LeakyEmbedder(error: sql)).test(.router) { client in
            let response = try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#)
            #expect(response.status == .internalServerError)
            expectNoSecrets(response.text)
            #expect(response.text.contains(try #require(response.headers[.requestID])))
        }
        #expect(StoreError.invalidInput("bad").apiError.status == .badRequest)
        #expect(StoreError.unavailable(location: "10.9.8.7:5432", reason: "refused").apiError.status
            == .serviceUnavailable)
        expectNoSecrets(StoreError.unavailable(location: "10.9.8.7:5432", reason: "refused").apiError.message)
        #expect(QueryError.emptyKnowledgeBase(path: "/srv/secret/kb.sqlite").apiError.status == .conflict)
        expectNoSecrets(QueryError.emptyKnowledgeBase(path: "/srv/secret/kb.sqlite").apiError.message)
    }

    @Test func readinessSaysWhatIsNotReadyWithoutPaths() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let failures: [(any Error, String)] = [
            (LeakyEmbedder.Failure(), "failed"),
            (EmbeddingError.unreachable(host: "http://10.9.8.7:11434", reason: "refused"), "cannot be reached"),
            (EmbeddingError.http(status: 500, message: "open /srv/secret/x: no such file",
                                 url: "http://10.9.8.7:11434/api/embed"), "HTTP 500"),
        ]
        for (failure, expected) in failures {
            try await application(server, embedder: LeakyEmbedder(error: failure)).test(.router) { client in
                let ready = try await client.send(.get, "/readyz")
                #expect(ready.status == .serviceUnavailable)
                let checks = try #require(ready.object["checks"] as? [String: String])
                #expect(checks["embedder"]?.contains(expected) == true, "\(checks)")
                #expect(checks["database"]?.hasPrefix("ok") == true)
                expectNoSecrets(ready.text)
            }
        }
    }

    @Test func aStreamThatFailsMidwaySaysOnlyTheRequestID() async throws {
        let server = try await TestServer(toolChat: LeakyChat())
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let ask = try await client.send(.post, "/v1/ask", json: #"{"question":"rotate the logs"}"#,
                                            headers: [.requestID: "req-7"])
            #expect(ask.status == .ok)
            let last = try #require(ask.text.split(separator: "\n").last.map(String.init))
            #expect(last.contains(#""type":"error""#) && last.contains("see the server log for request req-7"), "\(last)")
            expectNoSecrets(ask.text)

            let chat = try await client.send(.post, "/v1/chat/completions",
                                             json: #"{"model":"kb","stream":true,"messages":[{"role":"user","content":"rotate the logs"}]}"#,
                                             headers: [.requestID: "req-8"])
            #expect(chat.status == .ok)
            #expect(chat.text.contains("see the server log for request req-8"), "\(chat.text)")
            expectNoSecrets(chat.text)
        }
    }
}
