import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

struct HealthRouteTests {
    @Test func healthReadinessAndMetrics() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let health = try await client.send(.get, "/healthz")
            #expect(health.status == .ok && health.object["status"] as? String == "ok")
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .ok && ready.object["status"] as? String == "ready")
            _ = try await client.send(.post, "/v1/query", json: #"{"question":"disk"}"#)
            _ = try await client.send(.post, "/v1/query", json: #"{"question":""}"#)
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(text.contains(#"kb_http_requests_total{route="/v1/query",method="POST",status="200"} 1"#))
            #expect(text.contains(#"kb_http_requests_total{route="/v1/query",method="POST",status="400"} 1"#))
            #expect(text.contains("kb_query_search_seconds_count 1"))
            #expect(text.contains("kb_index_vectors 3"))
            #expect(text.contains(#"kb_http_request_duration_seconds_bucket{route="/v1/query",le="+Inf"} 2"#))
        }
    }

    @Test func startupRefusesAnOpenNonLoopbackServer() {
        #expect(ServerConfiguration(host: "0.0.0.0").startupProblem()?.contains("KB_API_TOKEN") == true)
        #expect(ServerConfiguration(host: "0.0.0.0", allowUnauthenticated: true).startupProblem() == nil)
        #expect(ServerConfiguration(host: "0.0.0.0", apiToken: "t").startupProblem() == nil)
        #expect(ServerConfiguration(host: "127.0.0.1").startupProblem() == nil)
        #expect(ServerConfiguration(host: "::1").startupProblem() == nil)
    }

    @Test func tokensCompareInConstantTimeAndCorrectly() {
        #expect(Authenticator.constantTimeEqual("abc", "abc"))
        #expect(!Authenticator.constantTimeEqual("abc", "abd"))
        #expect(!Authenticator.constantTimeEqual("abc", "abcd"))
        #expect(!Authenticator.constantTimeEqual("", "a"))
    }
}
