import Foundation
import Testing
@testable import KnowledgeBase

/// `kb migrate`: a copy holds exactly what the source holds, on any pair of stores.
struct StoreCopyTests {
    static var pairs: [(StoreBackend, StoreBackend)] {
        StoreBackend.available.flatMap { from in StoreBackend.available.map { (from, $0) } }
    }

    @Test(arguments: pairs)
    func aCopyEqualsItsSourceAndAFullTargetIsRefused(from: StoreBackend, to: StoreBackend) async throws {
        let source = try from.makeStore()
        defer { source.cleanUp() }
        let target = try to.makeStore()
        defer { target.cleanUp() }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["disk.md": "---\nservice: storage\ntags: [disk]\n---\n# Disk full\n## Fix\nRotate the logs.\n## Check\nRun df -h.",
                        "net/dns.md": "# DNS\n## Fix\nFlush the resolver cache. 日本語も。"], under: directory)
        let catalog = Catalog(store: source.store, logger: quietLogger)
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(dimension: 32), chunker: Chunker(),
                               logger: quietLogger).ingest(try SourceDiscovery.discover([directory.path]).files)
        try source.store.claimSource(name: "runbooks", root: "/srv/runbooks", kind: "folder")
        try source.store.storeCachedVectors([("orphan-hash", "other-model", [0.5, 0.25])])

        let summary = try StoreCopy.copy(from: source.store, to: target.store)
        #expect(summary.documents == 2 && summary.chunks == 3 && summary.vectors == 3 && summary.sources == 1)
        #expect(summary.cachedEmbeddings == 4, "the cache is copied whole, other models' entries too")
        let (a, b) = (try StoreCopy.checksum(source.store), try StoreCopy.checksum(target.store))
        #expect(a == b)
        let original = try #require(try source.store.document(path: "disk.md"))
        let copied = try #require(try target.store.document(path: "disk.md"))
        #expect(copied.metadata == original.metadata && copied.createdAt == original.createdAt)
        #expect(try target.store.keywordSearch("resolver", limit: 3).count == 1, "the keyword index is rebuilt")
        #expect(try Catalog(store: target.store, logger: quietLogger).loadIndex()?.count == 3)

        #expect { try StoreCopy.copy(from: source.store, to: target.store) } throws: {
            "\($0)".contains("already holds a knowledge base")
        }
        try target.store.storeCachedVectors([("late", "other-model", [1, 1])])
        #expect(try StoreCopy.checksum(target.store).cache != a.cache, "the checksum sees a difference")
    }
}
