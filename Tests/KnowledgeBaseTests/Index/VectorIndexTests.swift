import Testing
@testable import KnowledgeBase

struct VectorIndexTests {
    /// A deterministic generator so failures reproduce.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func randomVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var generator = SplitMix64(state: seed)
        return (0..<count).map { _ in
            var vector = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
            l2Normalise(&vector)
            return vector
        }
    }

    /// The reference: every score computed with a plain loop, sorted by score then chunk id.
    func scalarTopK(_ query: [Float], _ rows: [[Float]], ids: [Int64], k: Int) -> [(Int64, Float)] {
        var normalisedQuery = query
        l2Normalise(&normalisedQuery)
        let scored = zip(ids, rows).map { id, row in
            (id, zip(normalisedQuery, row).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        return Array(scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k))
    }

    func makeIndex(_ rows: [[Float]], dimension: Int, documents: Int = 7, precision: IndexPrecision = .fp32)
        throws -> (VectorIndex, [Int64])
    {
        let index = VectorIndex(dimension: dimension, precision: precision)
        let ids = (0..<rows.count).map { Int64($0 * 3 + 1) }
        var byDocument: [Int64: [(chunkID: Int64, vector: [Float])]] = [:]
        for (offset, row) in rows.enumerated() { byDocument[Int64(offset % documents), default: []].append((ids[offset], row)) }
        for (document, documentRows) in byDocument {
            try index.replaceDocument(document, path: "doc\(document).md", rows: documentRows)
        }
        return (index, ids)
    }

    @Test(arguments: [(1000, 384, 10), (257, 17, 1), (50, 8, 50), (5, 4, 10)])
    func topKEqualsAScalarComputation(rows count: Int, dimension: Int, k: Int) throws {
        let rows = randomVectors(count, dimension: dimension, seed: UInt64(count * dimension))
        let (index, ids) = try makeIndex(rows, dimension: dimension)
        for query in randomVectors(5, dimension: dimension, seed: 99) {
            let expected = scalarTopK(query, rows, ids: ids, k: k)
            let hits = try index.search(query, k: k)
            #expect(hits.count == min(k, count))
            for (hit, reference) in zip(hits, expected) {
                #expect(abs(hit.score - reference.1) < 1e-5)
            }
            // Ids agree wherever the reference's scores are not within rounding of each other.
            let gaps = zip(expected, expected.dropFirst()).map { $0.1 - $1.1 }
            if gaps.allSatisfy({ $0 > 1e-5 }) { #expect(hits.map(\.chunkID) == expected.map(\.0)) }
        }
    }

    @Test(arguments: IndexPrecision.allCases)
    func tiesAreBrokenByChunkIDExactly(precision: IndexPrecision) throws {
        // Small integers are exact in Float32, so every score is exact and ties are true ties.
        let dimension = 4
        let patterns: [[Float]] = [[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0]]
        var rows: [[Float]] = []
        for repeatIndex in 0..<40 { rows.append(patterns[repeatIndex % patterns.count]) }
        let (index, ids) = try makeIndex(rows, dimension: dimension, precision: precision)
        let query: [Float] = [1, 0, 0, 0]
        for k in [1, 3, 7, 14, 40, 100] {
            let expected = scalarTopK(query, rows.map { var r = $0; l2Normalise(&r); return r }, ids: ids, k: k)
            let hits = try index.search(query, k: k)
            #expect(hits.map(\.chunkID) == expected.map(\.0), "k = \(k)")
        }
    }

    @Test func batchSearchEqualsSingleSearches() throws {
        let rows = randomVectors(20_000, dimension: 32, seed: 7)
        let (index, _) = try makeIndex(rows, dimension: 32)
        let queries = randomVectors(9, dimension: 32, seed: 8)
        let batch = try index.search(batch: queries, k: 10)
        for (query, batchHits) in zip(queries, batch) {
            let single = try index.search(query, k: 10)
            #expect(single.map(\.chunkID) == batchHits.map(\.chunkID))
            for (a, b) in zip(single, batchHits) { #expect(abs(a.score - b.score) < 1e-5) }
        }
    }

    @Test(arguments: IndexPrecision.allCases)
    func filtersByMinimumScoreAndPathPrefix(precision: IndexPrecision) throws {
        let index = VectorIndex(dimension: 2, precision: precision)
        try index.replaceDocument(1, path: "kubernetes/pods.md", rows: [(10, [1, 0]), (11, [0.6, 0.8])])
        try index.replaceDocument(2, path: "databases/pg.md", rows: [(20, [0.8, 0.6]), (21, [0, 1])])
        #expect(try index.search([1, 0], k: 10, filter: SearchFilter(minScore: 0.7)).map(\.chunkID) == [10, 20])
        #expect(try index.search([1, 0], k: 10, filter: SearchFilter(pathPrefix: "databases/")).map(\.chunkID) == [20, 21])
        #expect(try index.search([1, 0], k: 10, filter: SearchFilter(pathPrefix: "nowhere/")).isEmpty)
    }

    @Test(arguments: IndexPrecision.allCases)
    func replaceAndRemoveKeepOtherDocumentsIntact(precision: IndexPrecision) throws {
        let index = VectorIndex(dimension: 2, reservingRows: 1, precision: precision)
        try index.replaceDocument(1, path: "a.md", rows: [(1, [1, 0]), (2, [0, 1])])
        try index.replaceDocument(2, path: "b.md", rows: [(3, [1, 1])])
        try index.replaceDocument(1, path: "a.md", rows: [(4, [-1, 0])])
        #expect(index.count == 2)
        #expect(Set(try index.search([1, 0], k: 10).map(\.chunkID)) == [3, 4])
        index.removeDocument(2)
        index.removeDocument(99)
        #expect(try index.search([1, 0], k: 10).map(\.chunkID) == [4])
    }

    @Test(arguments: IndexPrecision.allCases)
    func edgeCases(precision: IndexPrecision) throws {
        let index = VectorIndex(dimension: 3, precision: precision)
        #expect(try index.search([1, 0, 0], k: 5).isEmpty, "an empty index returns nothing")
        try index.replaceDocument(1, path: "a.md", rows: [(1, [1, 0, 0]), (2, [0, 2, 0])])
        #expect(try index.search([1, 0, 0], k: 0).isEmpty)
        #expect(try index.search([1, 0, 0], k: 10).count == 2, "k larger than the index returns every row")
        #expect(try index.search([0, 0, 0], k: 10).allSatisfy { $0.score == 0 })
        #expect(throws: IndexError.self) { try index.search([1, 0], k: 1) }
        #expect(throws: IndexError.self) { try index.search([.nan, 0, 0], k: 1) }
        #expect(throws: IndexError.self) { try index.replaceDocument(3, path: "c.md", rows: [(9, [1, 2])]) }
        #expect(index.count == 2, "a rejected replace changes nothing")
        // Rows are normalised on insert: [0, 2, 0] scores 1 against [0, 1, 0].
        #expect(try index.search([0, 1, 0], k: 1).first?.score == 1)
    }
}
