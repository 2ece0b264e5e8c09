import Foundation
import Testing
@testable import KnowledgeBase

struct VectorIndexHalfPrecisionTests {
    let helper = VectorIndexTests()

    /// `rows` as the fp16 index stores them: normalised in float32, then rounded to halves and widened back.
    func storedHalfRows(_ rows: [[Float]]) -> [[Float]] {
        rows.map { row in
            var unit = row
            l2Normalise(&unit)
            var halves = [UInt16](repeating: 0, count: unit.count)
            HalfKernels.narrow(unit, into: &halves, count: unit.count)
            var widened = [Float](repeating: 0, count: unit.count)
            HalfKernels.widen(halves, into: &widened, count: unit.count)
            return widened
        }
    }

    func bulkIndex(_ rows: [[Float]], precision: IndexPrecision, kernel: HalfKernels.Choice = .best) throws
        -> VectorIndex
    {
        let index = VectorIndex(dimension: rows[0].count, reservingRows: 8, precision: precision, kernel: kernel)
        try rows.flatMap { $0 }.withUnsafeBufferPointer {
            try index.appendRows($0, firstChunkID: 0, documentID: 1, path: "bulk.md")
        }
        return index
    }

    @Test func topTenOfWellSeparatedRowsEqualsFP32() throws {
        let dimension = 128
        var rows = helper.randomVectors(4000, dimension: dimension, seed: 21)
        let queries = helper.randomVectors(6, dimension: dimension, seed: 22)
        // Ten rows per query at cosines 0.95, 0.90, … 0.50, far above the random rows (below ~0.4 at d = 128).
        var generator = VectorIndexTests.SplitMix64(state: 23)
        for (number, query) in queries.enumerated() {
            for rank in 0..<10 {
                let cosine = 0.95 - 0.05 * Float(rank)
                var noise = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
                let along = zip(noise, query).reduce(0) { $0 + $1.0 * $1.1 }
                noise = zip(noise, query).map { $0 - along * $1 }
                l2Normalise(&noise)
                let planted = zip(query, noise).map { cosine * $0 + (1 - cosine * cosine).squareRoot() * $1 }
                rows[number * 500 + rank * 37] = planted
            }
        }
        let fp32 = try bulkIndex(rows, precision: .fp32)
        let fp16 = try bulkIndex(rows, precision: .fp16)
        #expect(fp16.vectorBytes * 2 == fp32.vectorBytes)
        for query in queries {
            let expected = try fp32.search(query, k: 10)
            let hits = try fp16.search(query, k: 10)
            #expect(hits.map(\.chunkID) == expected.map(\.chunkID))
            for (hit, reference) in zip(hits, expected) { #expect(abs(hit.score - reference.score) < 5e-4) }
        }
    }

    @Test func recallAtTenOnRandomUnitVectorsIsAtLeast99Percent() throws {
        let dimension = 384
        let rows = helper.randomVectors(20_000, dimension: dimension, seed: 31)
        let queries = helper.randomVectors(40, dimension: dimension, seed: 32)
        let fp32 = try bulkIndex(rows, precision: .fp32)
        let fp16 = try bulkIndex(rows, precision: .fp16)
        let single = try queries.map { try fp16.search($0, k: 10) }
        let batch = try fp16.search(batch: queries, k: 10)
        var found = 0
        for (query, hits) in zip(queries, single) {
            let exact = try fp32.search(query, k: 10)
            found += Set(exact.map(\.chunkID)).intersection(hits.map(\.chunkID)).count
            // Every fp16 score is within the rounding bound 2⁻¹¹ ≈ 4.9e-4 of the float32 cosine of the same row.
            let cosines = try fp32.scores(of: Set(hits.map(\.chunkID)), query: query)
            for hit in hits { #expect(abs(hit.score - cosines[hit.chunkID]!) < 5e-4) }
        }
        let recall = Double(found) / Double(queries.count * 10)
        #expect(recall >= 0.99, "recall@10 \(recall)")
        for (a, b) in zip(single, batch) {
            #expect(a.map(\.chunkID) == b.map(\.chunkID))
            for (x, y) in zip(a, b) { #expect(abs(x.score - y.score) < 1e-5) }
        }
    }

    @Test func resultsAreExactForTheStoredHalfRows() throws {
        let rows = helper.randomVectors(3000, dimension: 40, seed: 41).map { $0.map { $0 * 5 } }
        let (index, ids) = try helper.makeIndex(rows, dimension: 40, precision: .fp16)
        let stored = storedHalfRows(rows)
        for query in helper.randomVectors(5, dimension: 40, seed: 42) {
            let expected = helper.scalarTopK(query, stored, ids: ids, k: 10)
            let hits = try index.search(query, k: 10)
            for (hit, reference) in zip(hits, expected) { #expect(abs(hit.score - reference.1) < 1e-5) }
            let gaps = zip(expected, expected.dropFirst()).map { $0.1 - $1.1 }
            if gaps.allSatisfy({ $0 > 1e-5 }) { #expect(hits.map(\.chunkID) == expected.map(\.0)) }
            // Hybrid search's lookup scores a chunk exactly as the search did.
            let looked = try index.scores(of: Set(hits.map(\.chunkID)), query: query)
            for hit in hits { #expect(abs(looked[hit.chunkID]! - hit.score) < 1e-6) }
        }
    }

    @Test func thePortableKernelSearchesLikeTheSIMDKernel() throws {
        let rows = helper.randomVectors(9000, dimension: 96, seed: 51)
        let simd = try bulkIndex(rows, precision: .fp16)
        let portable = try bulkIndex(rows, precision: .fp16, kernel: .portable)
        for query in helper.randomVectors(4, dimension: 96, seed: 52) {
            #expect(try simd.search(query, k: 25) == portable.search(query, k: 25))
        }
    }

    @Test func replaceRemoveFilterAndBatchWorkOnHalfRows() throws {
        let dimension = 24
        let rows = helper.randomVectors(12_000, dimension: dimension, seed: 61)
        let (index, ids) = try helper.makeIndex(rows, dimension: dimension, documents: 7, precision: .fp16)
        index.removeDocument(3)
        let replacement = helper.randomVectors(50, dimension: dimension, seed: 62)
        try index.replaceDocument(5, path: "doc5.md", rows: replacement.enumerated().map { (Int64(900_000 + $0.offset), $0.element) })
        // The reference: the same edits on plain arrays of the stored half rows.
        var referenceRows: [[Float]] = [], referenceIDs: [Int64] = [], referenceDocuments: [Int64] = []
        for (offset, row) in storedHalfRows(rows).enumerated() where ![3, 5].contains(offset % 7) {
            referenceRows.append(row); referenceIDs.append(ids[offset]); referenceDocuments.append(Int64(offset % 7))
        }
        for (offset, row) in storedHalfRows(replacement).enumerated() {
            referenceRows.append(row); referenceIDs.append(Int64(900_000 + offset)); referenceDocuments.append(5)
        }
        #expect(index.count == referenceRows.count)
        #expect(index.vectorBytes == referenceRows.count * dimension * 2)
        let queries = helper.randomVectors(6, dimension: dimension, seed: 63)
        let batch = try index.search(batch: queries, k: 10)
        for (query, batchHits) in zip(queries, batch) {
            let expected = helper.scalarTopK(query, referenceRows, ids: referenceIDs, k: 10)
            let hits = try index.search(query, k: 10)
            #expect(hits.map(\.chunkID) == expected.map(\.0))
            #expect(batchHits.map(\.chunkID) == expected.map(\.0))
            for (hit, reference) in zip(hits, expected) { #expect(abs(hit.score - reference.1) < 1e-5) }
            let filtered = try index.search(query, k: 10, filter: SearchFilter(minScore: 0.3, pathPrefix: "doc5"))
            let keep = Set(zip(referenceIDs, referenceDocuments).filter { $0.1 == 5 }.map(\.0))
            let expectedFiltered = helper.scalarTopK(query, referenceRows, ids: referenceIDs, k: referenceRows.count)
                .filter { keep.contains($0.0) && $0.1 >= 0.3 }.prefix(10)
            #expect(filtered.map(\.chunkID) == expectedFiltered.map(\.0))
            #expect(filtered.allSatisfy { $0.documentID == 5 && $0.score >= 0.3 })
        }
    }

    @Test func storedRowsLoadIntoAnFP16Index() throws {
        let rows = helper.randomVectors(200, dimension: 12, seed: 81).map { $0.map { $0 * 3 } }
        let loaded = VectorIndex(dimension: 12, reservingRows: 1, precision: .fp16)
        loaded.lock.withWriteLock {
            for (offset, row) in rows.enumerated() {
                row.withUnsafeBytes { loaded.appendStoredRow($0.baseAddress!, chunkID: Int64(offset), documentID: 1) }
            }
            loaded.documentPaths[1] = "a.md"
        }
        let live = VectorIndex(dimension: 12, precision: .fp16)
        try live.replaceDocument(1, path: "a.md", rows: rows.enumerated().map { (Int64($0.offset), $0.element) })
        for query in helper.randomVectors(3, dimension: 12, seed: 82) {
            #expect(try loaded.search(query, k: 30) == live.search(query, k: 30))
        }
    }

    @Test func aCatalogLoadsItsStoreIntoAnFP16Index() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 12)
        let path = directory.appendingPathComponent("kb.sqlite").path
        let writer = Catalog(store: try SQLiteStore(path: path), logger: quietLogger, precision: .fp16)
        try writer.loadIndex()
        try commitRandomDocuments(writer, documents: 4, chunks: 9, fingerprint: fingerprint, seed: 90)
        try writer.remove(documentID: 2)
        let live = try #require(try writer.loadIndex())
        let loaded = try #require(try Catalog(store: try SQLiteStore(path: path), logger: quietLogger, precision: .fp16)
            .loadIndex())
        let exact = try #require(try Catalog(store: try SQLiteStore(path: path), logger: quietLogger).loadIndex())
        #expect(live.precision == .fp16 && loaded.precision == .fp16 && exact.precision == .fp32)
        #expect(loaded.count == 27 && loaded.vectorBytes == 27 * 12 * 2 && exact.vectorBytes == 27 * 12 * 4)
        for query in helper.randomVectors(4, dimension: 12, seed: 99) {
            let a = try live.search(query, k: 40)
            #expect(a == (try loaded.search(query, k: 40)))
            let b = try exact.search(query, k: 40)
            let exactScores = Dictionary(uniqueKeysWithValues: b.map { ($0.chunkID, $0.score) })
            for hit in a { #expect(abs(hit.score - exactScores[hit.chunkID]!) < 5e-4) }
            #expect(try loaded.search(query, k: 40, filter: SearchFilter(pathPrefix: "d3")).count == 9)
        }
    }
}
