import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

struct DocumentPathRouteTests {
    @Test func putByPathIsAnIdempotentUpsertInTheAPISource() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let body = ##"{"content":"# DNS\n## Fix\nFlush the resolver cache.","metadata":{"team":"net"}}"##
            let created = try await client.send(.put, "/v1/documents/by-path/net/dns.md", json: body)
            #expect(created.status == .created)
            #expect(created.object["source"] as? String == "api" && created.object["path"] as? String == "net/dns.md")
            let again = try await client.send(.put, "/v1/documents/by-path/net/dns.md", json: body)
            #expect(again.status == .ok && again.object["status"] as? String == "unchanged")
            let changed = try await client.send(.put, "/v1/documents/by-path/net/dns.md",
                                                json: ##"{"content":"# DNS\n## Fix\nRestart systemd-resolved."}"##)
            #expect(changed.object["status"] as? String == "replaced")

            let shown = try await client.send(.get, "/v1/documents/by-path/net/dns.md")
            let document = shown.object["document"] as? [String: Any]
            #expect(shown.status == .ok && document?["source"] as? String == "api")
            #expect((shown.object["chunks"] as? [[String: Any]])?.contains {
                ($0["text"] as? String)?.contains("systemd-resolved") == true } == true)
            let byQuery = try await client.send(.get, "/v1/documents/by-path?path=net%2Fdns.md")
            #expect((byQuery.object["document"] as? [String: Any])?["id"] as? Int == document?["id"] as? Int)

            // A percent sign in a path: encoded once in the URL path, and once in the query string.
            let percent = try await client.send(.put, "/v1/documents/by-path/notes/100%25.md",
                                                json: ##"{"content":"# Full\nAt 100 percent."}"##)
            #expect(percent.status == .created && percent.object["path"] as? String == "notes/100%.md")
            #expect(try await client.send(.get, "/v1/documents/by-path?path=notes%2F100%25.md").status == .ok)

            let missingContent = try await client.send(.put, "/v1/documents/by-path/x.md", json: #"{"title":"x"}"#)
            #expect(missingContent.status == .badRequest)
            #expect(try await client.send(.get, "/v1/documents/by-path/nope.md").status == .notFound)
            #expect(try await client.send(.get, "/v1/documents/by-path").status == .badRequest)

            let removed = try await client.send(.delete, "/v1/documents/by-path/net/dns.md")
            #expect(removed.status == .ok && removed.object["status"] as? String == "deleted")
            #expect(try await client.send(.get, "/v1/documents/by-path/net/dns.md").status == .notFound)
        }
    }

    @Test func listingsNameTheSourceAndFilterByIt() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        // The same path synced from a runbook repository and uploaded over HTTP.
        let ingester = Ingester(catalog: server.dependencies.catalog, embedder: server.embedder, chunker: Chunker(),
                                logger: quietLogger)
        _ = try await ingester.add(path: "disk-full.md", content: "# Disk full\nFrom the repo.", format: .markdown,
                                   source: "runbooks")
        try await server.application.test(.router) { client in
            let all = try await client.send(.get, "/v1/documents")
            let documents = all.object["documents"] as? [[String: Any]] ?? []
            #expect(all.object["total"] as? Int == 3)
            #expect(documents.compactMap { $0["source"] as? String }.sorted() == ["api", "api", "runbooks"])
            let repo = try await client.send(.get, "/v1/documents?source=runbooks")
            #expect(repo.object["total"] as? Int == 1)
            #expect((repo.object["documents"] as? [[String: Any]])?.first?["path"] as? String == "disk-full.md")

            let ambiguous = try await client.send(.get, "/v1/documents/by-path/disk-full.md")
            #expect(ambiguous.status == .conflict && ambiguous.errorCode == "ambiguous_path")
            #expect(ambiguous.errorMessage.contains("api, runbooks"))
            let chosen = try await client.send(.get, "/v1/documents/by-path/disk-full.md?source=runbooks")
            #expect(((chosen.object["document"] as? [String: Any])?["source"] as? String) == "runbooks")
        }
    }

    @Test func aWriteByAnotherProcessIsSeenByTheNextQueryAndInTheMetrics() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        let other = Catalog(store: try SQLiteStore(path: server.dependencies.catalog.store.location), logger: quietLogger)
        try await server.application.test(.router) { client in
            #expect(try await client.send(.post, "/v1/query", json: #"{"question":"zebra quokka"}"#).status == .ok)
            _ = try await Ingester(catalog: other, embedder: server.embedder, chunker: Chunker(), logger: quietLogger)
                .add(path: "zebra.md", content: "# Zebra quokka failover\nPromote the quokka.", format: .markdown)
            let found = try await client.send(.post, "/v1/query",
                                              json: #"{"question":"zebra quokka failover","refusal":"min-score"}"#)
            let paths = (found.object["results"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(paths.first == "zebra.md")
            let metrics = try await client.send(.get, "/metrics").text
            let latest = try other.store.latestSequence()
            #expect(metrics.contains("kb_index_sequence \(latest)\n"), "\(metrics)")
            #expect(metrics.contains("kb_index_lag_seconds 0\n"))
        }
    }
}
