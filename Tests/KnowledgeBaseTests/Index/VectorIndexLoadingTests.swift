import Foundation
import Testing
@testable import KnowledgeBase

struct VectorIndexLoadingTests {
    @Test func anIndexLoadedFromTheFileSearchesLikeTheOneBuiltWhileWriting() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let helper = VectorIndexTests()
        let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 12)
        let writer = try makeCatalog(in: directory)
        try writer.loadIndex()
        try commitRandomDocuments(writer, documents: 5, chunks: 9, fingerprint: fingerprint, seed: 1)
        try writer.remove(documentID: 2)
        let live = try #require(try writer.loadIndex())
        let loaded = try #require(try makeCatalog(in: directory).loadIndex())
        #expect(loaded.count == 36 && live.count == 36)
        for query in helper.randomVectors(4, dimension: 12, seed: 77) {
            let a = try live.search(query, k: 40)
            let b = try loaded.search(query, k: 40)
            #expect(a.map(\.chunkID) == b.map(\.chunkID))
            #expect(a.map(\.documentID) == b.map(\.documentID))
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-6) }
            #expect(try loaded.search(query, k: 40, filter: SearchFilter(pathPrefix: "d4")).count == 9)
        }
    }
}
