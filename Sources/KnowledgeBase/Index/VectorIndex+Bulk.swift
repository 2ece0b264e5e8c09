extension VectorIndex {
    /// Appends `vectors.count / dimension` rows from a contiguous row-major buffer as one document, with chunk ids
    /// `firstChunkID`, `firstChunkID + 1`, …; rows are L2-normalised on the way in.
    ///
    /// For bulk loading (benchmarks, imports): a document already in the index gets these rows added to its own.
    /// - Throws: `IndexError` if the buffer is not a whole number of rows or holds NaN or infinite values;
    ///   the index is then unchanged.
    public func appendRows(_ vectors: UnsafeBufferPointer<Float>, firstChunkID: Int64, documentID: Int64,
                           path: String) throws {
        guard vectors.count % dimension == 0 else {
            throw IndexError.dimensionMismatch(expected: dimension, got: vectors.count % dimension,
                                               what: "the last row of the bulk buffer")
        }
        guard vectors.allSatisfy(\.isFinite) else { throw IndexError.notFinite(what: "the bulk buffer") }
        let rows = vectors.count / dimension
        lock.withWriteLock {
            if documentPaths[documentID] == nil { documentPaths[documentID] = path }
            reserve(chunkIDs.count + rows)
            let first = chunkIDs.count
            for row in 0..<rows { storeRow(first + row, from: vectors.baseAddress! + row * dimension) }
            chunkIDs.append(contentsOf: (0..<Int64(rows)).lazy.map { firstChunkID + $0 })
            documentIDs.append(contentsOf: repeatElement(documentID, count: rows))
        }
    }
}
