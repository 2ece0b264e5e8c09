import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

struct DocumentRouteTests {
    static let token = "s3cret-token"
    static let write: HTTPFields = [.authorization: "Bearer \(token)"]

    func secured(readToken: String? = nil) async throws -> TestServer {
        try await TestServer(configuration: ServerConfiguration(apiToken: Self.token, readToken: readToken))
    }

    @Test func writesNeedTheBearerToken() async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        let before = try server.stats
        try await server.application.test(.router) { client in
            let body = ##"{"path":"dns.md","content":"# DNS\nCheck resolv.conf."}"##
            let missing = try await client.send(.post, "/v1/documents", json: body)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.send(.post, "/v1/documents", json: body, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized, "RFC 6750: an unknown token is 401, not 403")
            #expect(wrong.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            let deleteWithout = try await client.send(.delete, "/v1/documents/1")
            #expect(deleteWithout.status == .unauthorized)
            #expect(try server.stats.documents == before.documents, "rejected writes change nothing")
            let right = try await client.send(.post, "/v1/documents", json: body, headers: Self.write)
            #expect(right.status == .created)
            // Reads stay open without a read token.
            #expect(try await client.send(.get, "/v1/documents").status == .ok)
        }
    }

    @Test func aReadTokenProtectsReads() async throws {
        let server = try await secured(readToken: "reader")
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            #expect(try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#).status == .unauthorized)
            #expect(try await client.send(.get, "/v1/documents").status == .unauthorized)
            let reader: HTTPFields = [.authorization: "Bearer reader"]
            #expect(try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#, headers: reader).status == .ok)
            #expect(try await client.send(.get, "/v1/documents", headers: Self.write).status == .ok)
            #expect(try await client.send(.get, "/healthz").status == .ok, "liveness stays open")
            let readerWrites = try await client.send(.post, "/v1/documents", json: #"{"path":"a.md","content":"x"}"#,
                                                     headers: reader)
            #expect(readerWrites.status == .forbidden, "a valid token without the scope is 403")
            #expect(readerWrites.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            let wrongReader = try await client.send(.get, "/v1/documents", headers: [.authorization: "Bearer nope"])
            #expect(wrongReader.status == .unauthorized)
            #expect(wrongReader.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
        }
    }

    @Test func tokenComparisonDoesNotTruncateTheLengthDifference() {
        // The old comparison folded the length difference into 8 bits: 3 ^ 259 == 256 truncated to 0, and the
        // zero padding matched, so "abc" equalled "abc" followed by 256 NULs.
        #expect(!Authenticator.constantTimeEqual("abc", "abc" + String(repeating: "\u{0}", count: 256)))
        #expect(!Authenticator.constantTimeEqual("abc", "abd"))
        #expect(!Authenticator.constantTimeEqual("", "a"))
        #expect(Authenticator.constantTimeEqual("s3cret-token", "s3cret-token"))
    }

    @Test func addIsCreatedThenUnchangedThenReplaced() async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let body = ##"{"path":"net/dns.md","content":"# DNS\n## Fix\nCheck resolv.conf.","metadata":{"team":"net"}}"##
            let created = try await client.send(.post, "/v1/documents", json: body, headers: Self.write)
            #expect(created.status == .created)
            #expect(created.object["status"] as? String == "created" && created.object["chunks"] as? Int == 1)
            let id = try #require(created.object["id"] as? Int)
            let again = try await client.send(.post, "/v1/documents", json: body, headers: Self.write)
            #expect(again.status == .ok && again.object["status"] as? String == "unchanged")
            #expect(again.object["id"] as? Int == id)
            let edited = ##"{"path":"net/dns.md","content":"# DNS\n## Fix\nRestart systemd-resolved.","title":"DNS runbook"}"##
            let replaced = try await client.send(.post, "/v1/documents", json: edited, headers: Self.write)
            #expect(replaced.status == .ok && replaced.object["status"] as? String == "replaced")
            let shown = try await client.send(.get, "/v1/documents/\(id)")
            let document = try #require(shown.object["document"] as? [String: Any])
            #expect(document["title"] as? String == "DNS runbook")
            let chunks = try #require(shown.object["chunks"] as? [[String: Any]])
            #expect(chunks.first?["text"] as? String == "Restart systemd-resolved.")
            #expect(chunks.first?["heading"] as? String == "DNS › Fix")
            // The new text is searchable at once.
            let query = try await client.send(.post, "/v1/query", json: #"{"question":"restart systemd-resolved","k":1}"#)
            #expect(((query.object["results"] as? [[String: Any]])?.first?["path"] as? String) == "net/dns.md")
        }
    }

    @Test func metadataAndFormatAreKept() async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let created = try await client.send(.post, "/v1/documents", json: """
                {"path":"notes.txt","content":"# not a heading\\n\\nplain words","format":"text","metadata":{"team":"sre","tier":1}}
                """, headers: Self.write)
            let id = try #require(created.object["id"] as? Int)
            let shown = try await client.send(.get, "/v1/documents/\(id)")
            let document = try #require(shown.object["document"] as? [String: Any])
            #expect(document["format"] as? String == "text")
            #expect((document["metadata"] as? [String: Any])?["team"] as? String == "sre")
            #expect(((shown.object["chunks"] as? [[String: Any]])?.first?["heading"] as? String) == "")
        }
    }

    @Test(arguments: [
        (#"{"path":"../etc/passwd","content":"x"}"#, "\"..\""),
        (#"{"path":"a/../../b.md","content":"x"}"#, "\"..\""),
        (#"{"path":"/abs.md","content":"x"}"#, "relative"),
        (#"{"path":"nul\u0000.md","content":"x"}"#, "NUL"),
        (#"{"path":"nul.md","content":"visible\u0000hidden"}"#, "NUL character"),
        (#"{"path":"","content":"x"}"#, "must not be empty"),
        (#"{"path":"a.md","content":"x","format":"pdf"}"#, "\"markdown\" or \"text\""),
        (#"{"path":"a.md","content":"x","metadata":[1,2]}"#, "JSON object"),
        (#"{"path":"a.md","content":"x","owner":"me"}"#, "\"owner\""),
        (#"{"path":"a.md"}"#, "missing field \"content\""),
        (#"{"path":"a.md","content":42}"#, "\"content\" must be a string"),
    ])
    func invalidDocumentsAreRejectedAndNothingIsStored(body: String, message: String) async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        let before = try server.stats
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/documents", json: body, headers: Self.write)
            #expect(response.status == .badRequest)
            #expect(response.errorMessage.contains(message), "\(response.errorMessage)")
        }
        let after = try server.stats
        #expect(after.documents == before.documents && after.chunks == before.chunks && after.vectors == before.vectors)
    }

    @Test func documentBodyLimitIsConfigurable() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(apiToken: Self.token, maxDocumentBytes: 2048))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let content = String(repeating: "word ", count: 1000)
            let response = try await client.send(.post, "/v1/documents", json: "{\"path\":\"big.md\",\"content\":\"\(content)\"}",
                                                 headers: Self.write)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorMessage.contains("2048"))
        }
    }

    @Test func embedderDownIs503WithRetryAfterAndNothingStored() async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        server.embedder.down.store(true, ordering: .relaxed)
        let before = try server.stats
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/documents",
                                                 json: ##"{"path":"new.md","content":"# New\nSomething new."}"##,
                                                 headers: Self.write)
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "10")
            #expect(response.errorCode == "embedder_unavailable")
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .serviceUnavailable)
        }
        let after = try server.stats
        #expect(after.documents == before.documents && after.chunks == before.chunks)
    }

    @Test func listPagesAndDeleteRemovesEverywhere() async throws {
        let server = try await secured()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let page = try await client.send(.get, "/v1/documents?limit=1&offset=1")
            #expect(page.object["total"] as? Int == 2)
            let documents = try #require(page.object["documents"] as? [[String: Any]])
            #expect(documents.count == 1 && documents[0]["path"] as? String == "disk-full.md")
            #expect(try await client.send(.get, "/v1/documents?limit=0").status == .badRequest)
            #expect(try await client.send(.get, "/v1/documents?offset=-1").status == .badRequest)

            let id = try #require(documents[0]["id"] as? Int)
            let removed = try await client.send(.delete, "/v1/documents/\(id)", headers: Self.write)
            #expect(removed.status == .ok && removed.object["status"] as? String == "deleted")
            #expect(try await client.send(.get, "/v1/documents/\(id)").status == .notFound)
            #expect(try await client.send(.delete, "/v1/documents/\(id)", headers: Self.write).status == .notFound)
            #expect(try await client.send(.get, "/v1/documents/abc").status == .notFound)
            let query = try await client.send(.post, "/v1/query", json: #"{"question":"df -h full filesystem","min_score":-1}"#)
            let paths = (query.object["results"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(!paths.contains("disk-full.md"), "a deleted document is gone from the in-memory index")
        }
        #expect(try server.stats.chunks == 1)
    }
}
