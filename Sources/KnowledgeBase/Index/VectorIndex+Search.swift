import COpenBLAS
import Dispatch

/// Options that narrow a search.
public struct SearchFilter: Sendable {
    /// Only hits scoring at least this are returned.
    public var minScore: Float?
    /// Only chunks of documents whose path starts with this are returned.
    public var pathPrefix: String?
    /// Only chunks of these documents are returned (a metadata filter, applied while scanning, before the top-k).
    public var documentIDs: Set<Int64>?

    public init(minScore: Float? = nil, pathPrefix: String? = nil, documentIDs: Set<Int64>? = nil) {
        self.minScore = minScore
        self.pathPrefix = pathPrefix
        self.documentIDs = documentIDs
    }
}

extension VectorIndex {
    /// Rows scored per `cblas_sgemm` call in a batch search; bounds the score matrix to rows × queries floats.
    static let batchBlockRows = 8192

    /// The exact top `k` chunks by cosine similarity to `query`, best first.
    ///
    /// Returns fewer than `k` hits when fewer rows pass the filter, and none for `k <= 0` or an empty index.
    /// A zero query vector scores 0 against every row. Equal scores are ordered by chunk id.
    /// - Throws: `IndexError` when the query has the wrong dimension or is not finite.
    public func search(_ query: [Float], k: Int, filter: SearchFilter = SearchFilter()) throws -> [Hit] {
        try search(batch: [query], k: k, filter: filter)[0]
    }

    /// The exact top `k` for each query: a multi-threaded streaming kernel for a single query, `cblas_sgemm` over
    /// row blocks for more, with the top-k of each block taken while its scores are in cache.
    ///
    /// In fp16 the scores are exact for the stored half rows (summed in float32), and differ from float32 rows'
    /// scores by less than 5e-4, so near-ties can swap places.
    public func search(batch queries: [[Float]], k: Int, filter: SearchFilter = SearchFilter()) throws -> [[Hit]] {
        for (index, query) in queries.enumerated() { try validate(query, what: "query \(index + 1)") }
        var packed = [Float](repeating: 0, count: queries.count * dimension)
        for (index, query) in queries.enumerated() {
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale: Float = norm > 0 ? 1 / norm : 0
            for j in 0..<dimension { packed[index * dimension + j] = query[j] * scale }
        }
        let threads = searchThreads
        return lock.withReadLock {
            let allowed = allowedDocuments(filter.pathPrefix, filter.documentIDs)
            var heaps = (0..<queries.count).map { _ in TopK(k: k) }
            let rows = chunkIDs.count
            guard k > 0, rows > 0, !queries.isEmpty else { return heaps.map { $0.sorted() } }
            if queries.count == 1 {
                return packed.withUnsafeBufferPointer {
                    [searchOne($0.baseAddress!, k: k, minScore: filter.minScore, allowed: allowed, threads: threads)
                        .sorted()]
                }
            }
            let block = Self.batchBlockRows
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: min(block, rows) * queries.count)
            defer { scores.deallocate() }
            // fp16 rows are widened a block at a time into float32 for `cblas_sgemm`; the widening is exact.
            let widened = storedPrecision == .fp16
                ? UnsafeMutablePointer<Float>.allocate(capacity: min(block, rows) * dimension) : nil
            defer { widened?.deallocate() }
            packed.withUnsafeBufferPointer { q in
                heaps.withUnsafeMutableBufferPointer { heapBuffer in
                    let shared = SendablePointers(scores: scores, heaps: heapBuffer.baseAddress!)
                    var start = 0
                    while start < rows {
                        let blockRows = min(block, rows - start)
                        score(q.baseAddress!, queries: queries.count, rows: start..<start + blockRows,
                              widening: widened, into: scores)
                        let first = start
                        let workers = min(threads, queries.count)
                        if workers <= 1 {
                            for query in 0..<queries.count {
                                collect(scores + query * blockRows, firstRow: first, count: blockRows,
                                        minScore: filter.minScore, allowed: allowed, into: &heapBuffer[query])
                            }
                        } else {
                            // Each worker owns whole queries, so no heap is shared between threads.
                            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                                for query in stride(from: worker, to: queries.count, by: workers) {
                                    self.collect(shared.scores + query * blockRows, firstRow: first, count: blockRows,
                                                 minScore: filter.minScore, allowed: allowed,
                                                 into: &shared.heaps[query])
                                }
                            }
                        }
                        start += blockRows
                    }
                }
            }
            return heaps.map { $0.sorted() }
        }
    }

    // Scores rows × queries into `out` laid out query-major (`out[q * rows.count + r]`); fp16 rows go through
    // `widening` first.
    private func score(_ queries: UnsafePointer<Float>, queries count: Int, rows: Range<Int>,
                       widening scratch: UnsafeMutablePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let block: UnsafePointer<Float>
        if let scratch {
            HalfKernels.widen(halfRows + rows.lowerBound * dimension, into: scratch, count: rows.count * dimension,
                              kernel: kernel)
            block = UnsafePointer(scratch)
        } else {
            block = UnsafePointer(floatRows + rows.lowerBound * dimension)
        }
        let d = Int32(dimension)
        // out (count × rows) = queries (count × d) · blockᵀ (d × rows)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(rows.count), d,
                    1, queries, d, block, d, 0, out, Int32(rows.count))
    }

    // Most rows score below the worst hit kept: one comparison with that floor skips them.
    func collect(_ scores: UnsafePointer<Float>, firstRow: Int, count: Int, minScore: Float?,
                         allowed: Set<Int64>?, into heap: inout TopK) {
        let minimum = minScore ?? -.infinity
        var floor = max(minimum, heap.floor)
        chunkIDs.withUnsafeBufferPointer { ids in
            documentIDs.withUnsafeBufferPointer { documents in
                func consider(_ offset: Int) {
                    let score = scores[offset]
                    // Equal scores still go on to the tie-break by chunk id.
                    guard score >= floor else { return }
                    let row = firstRow + offset
                    let hit = Hit(chunkID: ids[row], documentID: documents[row], score: score)
                    guard heap.admits(hit) else { return }
                    if let allowed, !allowed.contains(hit.documentID) { return }
                    heap.insert(hit)
                    floor = max(minimum, heap.floor)
                }
                var offset = 0
                while offset < count {
                    if scores[offset] >= floor { consider(offset) }
                    offset += 1
                }
            }
        }
    }

    private func allowedDocuments(_ prefix: String?, _ documents: Set<Int64>?) -> Set<Int64>? {
        guard let prefix, !prefix.isEmpty else { return documents }
        let byPath = Set(documentPaths.lazy.filter { $0.value.hasPrefix(prefix) }.map(\.key))
        return documents.map { byPath.intersection($0) } ?? byPath
    }
}

/// The score matrix and heaps handed to collection workers; each worker touches only its own queries' parts.
private struct SendablePointers: @unchecked Sendable {
    let scores: UnsafeMutablePointer<Float>
    let heaps: UnsafeMutablePointer<TopK>
}
