extension VectorIndex {
    /// Cosine similarity of `query` to each of `chunkIDs` held in the index (ids not held are left out).
    ///
    /// One pass over the ids, then one dot product per wanted row: used to score keyword candidates in hybrid
    /// search, so it costs a few rows, not a scan of the vectors.
    public func scores(of chunkIDs: Set<Int64>, query: [Float]) throws -> [Int64: Float] {
        try validate(query, what: "query")
        var normalised = query
        l2Normalise(&normalised)
        return lock.withReadLock {
            var result: [Int64: Float] = [:]
            guard !chunkIDs.isEmpty else { return result }
            normalised.withUnsafeBufferPointer { query in
                var dot: Float = 0
                for (row, id) in self.chunkIDs.enumerated() where chunkIDs.contains(id) {
                    // The same kernels as a search, so a chunk scores the same whichever way it was found.
                    dotProducts(firstRow: row, rows: 1, query: query.baseAddress!, into: &dot)
                    result[id] = dot
                }
            }
            return result
        }
    }
}
