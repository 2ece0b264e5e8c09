import Testing
@testable import KnowledgeBase

struct VectorIndexThreadingTests {
    let helper = VectorIndexTests()

    @Test func threadedSingleQueriesEqualOneThreadAndTheScalarReference() throws {
        let rows = helper.randomVectors(20_000, dimension: 24, seed: 11)
        let (index, ids) = try helper.makeIndex(rows, dimension: 24)
        for query in helper.randomVectors(4, dimension: 24, seed: 12) {
            index.searchThreads = 1
            let one = try index.search(query, k: 10)
            index.searchThreads = 3
            let three = try index.search(query, k: 10)
            #expect(one == three)
            let reference = helper.scalarTopK(query, rows, ids: ids, k: 10)
            for (hit, expected) in zip(three, reference) { #expect(abs(hit.score - expected.1) < 1e-5) }
            let filtered = try index.search(query, k: 5, filter: SearchFilter(minScore: 0.5, pathPrefix: "doc3"))
            #expect(filtered.allSatisfy { $0.documentID == 3 && $0.score >= 0.5 })
        }
    }

    @Test func bulkRowsSearchLikeRowsAddedOneDocumentAtATime() throws {
        let rows = helper.randomVectors(300, dimension: 16, seed: 5)
        let bulk = VectorIndex(dimension: 16)
        let flat = rows.flatMap { $0.map { $0 * 3 } }  // not normalised: appendRows normalises
        try flat.withUnsafeBufferPointer { try bulk.appendRows($0, firstChunkID: 100, documentID: 1, path: "bulk.md") }
        let single = VectorIndex(dimension: 16)
        try single.replaceDocument(1, path: "bulk.md", rows: rows.enumerated().map { (Int64(100 + $0.offset), $0.element) })
        #expect(bulk.count == 300)
        for query in helper.randomVectors(3, dimension: 16, seed: 6) {
            let a = try bulk.search(query, k: 7)
            let b = try single.search(query, k: 7)
            #expect(a.map(\.chunkID) == b.map(\.chunkID))
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-5) }
        }
        #expect(throws: IndexError.self) {
            try [Float](repeating: 1, count: 17).withUnsafeBufferPointer {
                try bulk.appendRows($0, firstChunkID: 0, documentID: 2, path: "x.md")
            }
        }
        #expect(bulk.count == 300)
    }
}
