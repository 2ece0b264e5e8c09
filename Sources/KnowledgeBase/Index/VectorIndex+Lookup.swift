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
            // A 4,096-bit filter of the wanted ids (512 bytes, in L1) rules out almost every row with one bit test,
            // so the pass over a million ids costs about a millisecond instead of a hash lookup each.
            var filter = [UInt64](repeating: 0, count: Self.lookupFilterWords)
            for id in chunkIDs {
                let slot = Self.filterSlot(id)
                filter[slot.word] |= slot.bit
            }
            normalised.withUnsafeBufferPointer { query in
                filter.withUnsafeBufferPointer { filter in
                    self.chunkIDs.withUnsafeBufferPointer { ids in
                        var dot: Float = 0
                        for row in 0..<ids.count {
                            let id = ids[row]
                            let slot = Self.filterSlot(id)
                            guard filter[slot.word] & slot.bit != 0, chunkIDs.contains(id) else { continue }
                            // The same kernels as a search, so a chunk scores the same whichever way it was found.
                            dotProducts(firstRow: row, rows: 1, query: query.baseAddress!, into: &dot)
                            result[id] = dot
                        }
                    }
                }
            }
            return result
        }
    }

    static let lookupFilterWords = 64

    // Chunk ids are mostly consecutive, so they are mixed (Fibonacci hashing) before picking one of 4,096 bits.
    @inline(__always)
    static func filterSlot(_ id: Int64) -> (word: Int, bit: UInt64) {
        let mixed = UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15
        let index = Int(mixed >> 52)  // 12 bits
        return (index >> 6, 1 << UInt64(index & 63))
    }
}

extension VectorIndex {
    /// The stored (L2-normalised) rows of `chunkIDs` as float32; ids the index does not hold are left out.
    ///
    /// One pass over the ids, as `scores(of:query:)`; an fp16 row is widened exactly.
    public func rows(of chunkIDs: Set<Int64>) -> [Int64: [Float]] {
        lock.withReadLock {
            var result: [Int64: [Float]] = [:]
            guard !chunkIDs.isEmpty else { return result }
            for (row, id) in self.chunkIDs.enumerated() where chunkIDs.contains(id) {
                var vector = [Float](repeating: 0, count: dimension)
                vector.withUnsafeMutableBufferPointer { out in
                    switch storedPrecision {
                    case .fp32:
                        out.baseAddress!.update(from: floatRows + row * dimension, count: dimension)
                    case .fp16:
                        HalfKernels.widen(halfRows + row * dimension, into: out.baseAddress!, count: dimension,
                                          kernel: kernel)
                    }
                }
                result[id] = vector
                if result.count == chunkIDs.count { break }
            }
            return result
        }
    }
}
