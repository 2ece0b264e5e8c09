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
        try await server.application.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for version in 0..<40 {
                        // Three sections that all carry the same version marker.
                        let content = (1...3).map { "## Part \($0)\\nrotate certificate marker v\(version) part \($0)" }
                            .joined(separator: "\\n")
                        let response = try await client.send(.post, "/v1/documents",
                                                             json: "{\"path\":\"rotating.md\",\"content\":\"# Rotating\\n\(content)\"}",
                                                             headers: write)
                        #expect(response.status == .created || response.status == .ok)
                        if version % 10 == 9, let id = response.object["id"] as? Int {
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
                            let versions = Set(results.filter { $0["path"] as? String == "rotating.md" }.compactMap {
                                ($0["text"] as? String)?.split(separator: " ").first { $0.hasPrefix("v") }
                            })
                            #expect(versions.count <= 1, "one answer mixed versions \(versions)")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
