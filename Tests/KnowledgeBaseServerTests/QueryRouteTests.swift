import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import KnowledgeBaseServer

struct QueryRouteTests {
    @Test func queryReturnsTheSameObjectAsTheCLI() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/query", json: #"{"question":"how to renew the certificate","k":2}"#)
            #expect(response.status == .ok)
            #expect(Set(response.object.keys) == ["question", "mode", "refused", "evidence", "results", "prompt", "timings_ms"])
            #expect(response.object["refused"] as? Bool == false)
            let results = try #require(response.object["results"] as? [[String: Any]])
            #expect(results.first?["path"] as? String == "cert-expiry.md")
            #expect(Set(results[0].keys).subtracting(["also_in"])
                == ["rank", "chunk_id", "path", "heading", "score", "text", "lines", "source", "metadata", "included"])
            #expect(response.headers[.requestID]?.count == 32)
        }
    }

    @Test func pathPrefixAndMinScoreNarrowResults() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/query",
                                                 json: #"{"question":"renew certificate","path_prefix":"disk","min_score":-1,"refusal":"min-score"}"#)
            let results = try #require(response.object["results"] as? [[String: Any]])
            #expect(!results.isEmpty && results.allSatisfy { ($0["path"] as? String)?.hasPrefix("disk") == true })
        }
    }

    @Test(arguments: [
        (#"{"question":"x","colour":"red","shape":1}"#, "unknown_fields", "\"colour\", \"shape\""),
        (#"{"question":"x","k":"5"}"#, "invalid_field", "field \"k\" must be an integer"),
        (#"{"question":"x","k":0}"#, "invalid_request", "between 1 and 100"),
        (#"{"question":"x","k":101}"#, "invalid_request", "between 1 and 100"),
        (#"{"question":"   "}"#, "invalid_request", "1–4000 characters"),
        (#"{"k":3}"#, "invalid_field", "missing field \"question\""),
        (#"{"question":"x","min_score":2}"#, "invalid_request", "min_score"),
        (#"{"question":"x","path_prefix":"../etc"}"#, "invalid_request", "\"..\""),
        (#"["question"]"#, "invalid_request", "JSON object"),
        (#"{"question": "x""#, "invalid_request", "not valid JSON"),
    ])
    func invalidQueriesAreRejectedWithTheirReason(body: String, code: String, message: String) async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/query", json: body)
            #expect(response.status == .badRequest)
            #expect(response.errorCode == code)
            #expect(response.errorMessage.contains(message), "\(response.errorMessage)")
        }
    }

    @Test func aTooLongQuestionIsRejected() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let question = String(repeating: "a", count: 4001)
            let response = try await client.send(.post, "/v1/query", json: "{\"question\":\"\(question)\"}")
            #expect(response.status == .badRequest)
        }
    }

    @Test func contentTypeSizeAndEncodingAreChecked() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let form = try await client.send(.post, "/v1/query", json: #"{"question":"x"}"#, contentType: "text/plain")
            #expect(form.status == .unsupportedMediaType)
            let none = try await client.send(.post, "/v1/query", json: #"{"question":"x"}"#, contentType: nil)
            #expect(none.status == .unsupportedMediaType)
            let big = "{\"question\":\"\(String(repeating: "a", count: 17 * 1024))\"}"
            let tooLarge = try await client.send(.post, "/v1/query", json: big)
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "body_too_large")
            var invalid = ByteBuffer(string: "{\"question\":\"caf")
            invalid.writeBytes([0xC3, 0x28])
            invalid.writeString("\"}")
            let latin = try await client.execute(uri: "/v1/query", method: .post,
                                                 headers: [.contentType: "application/json"], body: invalid)
            #expect(latin.status == .badRequest)
            #expect(latin.errorMessage.contains("UTF-8"))
        }
    }

    @Test func unknownRoutesAndWrongMethods() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let missing = try await client.send(.get, "/v2/nothing")
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            let wrong = try await client.send(.get, "/v1/query")
            #expect(wrong.status == .methodNotAllowed)
            #expect(wrong.headers[.allow] == "POST")
            #expect(try await client.send(.head, "/healthz").status == .ok, "HEAD works wherever GET does")
            #expect(try await client.send(.head, "/v1/documents").status == .ok)
            let put = try await client.send(.put, "/v1/documents/1", json: "{}")
            #expect(put.status == .methodNotAllowed)
            #expect(put.headers[.allow] == "GET, HEAD, DELETE")
        }
    }

    @Test func requestIDsAreHonouredOrGenerated() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let given = try await client.send(.get, "/healthz", headers: [.requestID: "abc-123"])
            #expect(given.headers[.requestID] == "abc-123")
            let forged = try await client.send(.get, "/healthz", headers: [.requestID: "bad id\twith spaces"])
            #expect(forged.headers[.requestID] != "bad id\twith spaces")
            #expect(forged.headers[.requestID]?.count == 32)
        }
    }

    @Test func anEmptyKnowledgeBaseIsAConflictThatSaysWhatToDo() async throws {
        let server = try await TestServer(seed: false)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#)
            #expect(response.status == .conflict)
            #expect(response.errorMessage.contains("kb ingest") || response.errorMessage.contains("holds no documents"))
        }
    }
}
