import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

struct ConcurrencyTests {
    @Test func queriesRunWhileDocumentsAreReplacedAndDeleted() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(apiToken: "t"))
        defer { server.cleanUp() }
        let write: HTTPFields = [.authorization: "Bearer t"]
        // Three sections that all carry the same version marker.
        @Sendable func rotating(_ version: Int) -> String {
            let content = (1...3).map { "## Part \($0)\\nrotate certificate marker v\(version) part \($0)" }
                .joined(separator: "\\n")
            return "{\"path\":\"rotating.md\",\"content\":\"# Rotating\\n\(content)\"}"
        }
        try await server.application.test(.router) { client in
            // rotating.md exists before the readers start and is only ever replaced, never deleted, so every query
            // must see exactly one whole version of it; deletes run on another document at the same time.
            #expect(try await client.send(.post, "/v1/documents", json: rotating(0), headers: write).status == .created)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for version in 1...40 {
                        let response = try await client.send(.post, "/v1/documents", json: rotating(version),
                                                             headers: write)
                        #expect(response.status == .created || response.status == .ok)
                        let doomed = try await client.send(.post, "/v1/documents", json: """
                            {"path":"doomed.md","content":"# Doomed\\nrotate certificate marker part doomed \(version)"}
                            """, headers: write)
                        #expect(doomed.status == .created)
                        if let id = doomed.object["id"] as? Int {
                            #expect(try await client.send(.delete, "/v1/documents/\(id)", headers: write).status == .ok)
                        }
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        for _ in 0..<40 {
                            let response = try await client.send(.post, "/v1/query",
                                                                 json: #"{"question":"rotate certificate marker part","k":10,"min_score":-1}"#)
                            #expect(response.status == .ok)
                            let results = response.object["results"] as? [[String: Any]] ?? []
                            let parts = results.filter { $0["path"] as? String == "rotating.md" }
                            let versions = Set(parts.compactMap {
                                ($0["text"] as? String)?.split(separator: " ").first { $0.hasPrefix("v") }
                            })
                            #expect(versions.count == 1, "one answer saw versions \(versions) of rotating.md")
                            #expect(parts.count == 3, "one answer saw \(parts.count) of the 3 parts of rotating.md")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
