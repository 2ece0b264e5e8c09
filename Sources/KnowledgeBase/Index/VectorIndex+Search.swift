import COpenBLAS

/// Options that narrow a search.
public struct SearchFilter: Sendable {
    /// Only hits scoring at least this are returned.
    public var minScore: Float?
    /// Only chunks of documents whose path starts with this are returned.
    public var pathPrefix: String?

    public init(minScore: Float? = nil, pathPrefix: String? = nil) {
        self.minScore = minScore
        self.pathPrefix = pathPrefix
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

    /// The exact top `k` for each query: one `cblas_sgemv` for a single query, `cblas_sgemm` over row blocks for more.
    public func search(batch queries: [[Float]], k: Int, filter: SearchFilter = SearchFilter()) throws -> [[Hit]] {
        for (index, query) in queries.enumerated() { try validate(query, what: "query \(index + 1)") }
        var packed = [Float](repeating: 0, count: queries.count * dimension)
        for (index, query) in queries.enumerated() {
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale: Float = norm > 0 ? 1 / norm : 0
            for j in 0..<dimension { packed[index * dimension + j] = query[j] * scale }
        }
        return lock.withReadLock {
            let allowed = allowedDocuments(filter.pathPrefix)
            var heaps = (0..<queries.count).map { _ in TopK(k: k) }
            let rows = chunkIDs.count
            guard k > 0, rows > 0, !queries.isEmpty else { return heaps.map { $0.sorted() } }
            let block = queries.count == 1 ? rows : Self.batchBlockRows
            var scores = [Float](repeating: 0, count: min(block, rows) * queries.count)
            var start = 0
            while start < rows {
                let blockRows = min(block, rows - start)
                scores.withUnsafeMutableBufferPointer { out in
                    packed.withUnsafeBufferPointer { q in
                        score(q.baseAddress!, queries: queries.count, rows: start..<start + blockRows, into: out.baseAddress!)
                    }
                    for query in 0..<queries.count {
                        collect(out.baseAddress! + query * blockRows, firstRow: start, count: blockRows,
                                minScore: filter.minScore, allowed: allowed, into: &heaps[query])
                    }
                }
                start += blockRows
            }
            return heaps.map { $0.sorted() }
        }
    }

    // Scores rows × queries into `out` laid out query-major (`out[q * rows.count + r]`).
    private func score(_ queries: UnsafePointer<Float>, queries count: Int, rows: Range<Int>,
                       into out: UnsafeMutablePointer<Float>) {
        let block = storage + rows.lowerBound * dimension
        let d = Int32(dimension)
        if count == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(rows.count), d, 1, block, d, queries, 1, 0, out, 1)
        } else {
            // out (count × rows) = queries (count × d) · blockᵀ (d × rows)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(rows.count), d,
                        1, queries, d, block, d, 0, out, Int32(rows.count))
        }
    }

    private func collect(_ scores: UnsafePointer<Float>, firstRow: Int, count: Int, minScore: Float?,
                         allowed: Set<Int64>?, into heap: inout TopK) {
        let threshold = minScore ?? -.infinity
        for offset in 0..<count {
            let score = scores[offset]
            guard score >= threshold else { continue }
            let row = firstRow + offset
            let hit = Hit(chunkID: chunkIDs[row], documentID: documentIDs[row], score: score)
            guard heap.admits(hit) else { continue }
            if let allowed, !allowed.contains(hit.documentID) { continue }
            heap.insert(hit)
        }
    }

    private func allowedDocuments(_ prefix: String?) -> Set<Int64>? {
        guard let prefix, !prefix.isEmpty else { return nil }
        return Set(documentPaths.lazy.filter { $0.value.hasPrefix(prefix) }.map(\.key))
    }
}
