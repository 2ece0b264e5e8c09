import Testing
@testable import KnowledgeBase

struct VectorIndexLookupTests {
    @Test func scoresOfChosenChunksEqualTheirSearchScoresAndSkipUnknownIds() throws {
        let helper = VectorIndexTests()
        let index = VectorIndex(dimension: 24)
        let vectors = helper.randomVectors(6000, dimension: 24, seed: 5)
        for document in 0..<60 {
            let rows = (0..<100).map { (chunkID: Int64(document * 100 + $0 + 1), vector: vectors[document * 100 + $0]) }
            try index.replaceDocument(Int64(document + 1), path: "d\(document).md", rows: rows)
        }
        index.removeDocument(7)  // swap-removes move rows, so ids are no longer in order
        let query = helper.randomVectors(1, dimension: 24, seed: 6)[0]
        let all = Dictionary(uniqueKeysWithValues: try index.search(query, k: 6000).map { ($0.chunkID, $0.score) })
        #expect(all.count == 5900)
        var generator = VectorIndexTests.SplitMix64(state: 11)
        let wanted = Set((0..<300).map { _ in Int64.random(in: 1...6000, using: &generator) })
        let unknown: Set<Int64> = [0, -4, 6001, 1_000_000, 601, 650]  // 601…700 belonged to the removed document
        let scores = try index.scores(of: wanted.union(unknown), query: query)
        #expect(Set(scores.keys) == wanted.subtracting(601...700))
        for (id, score) in scores { #expect(score == all[id]) }
    }
}
