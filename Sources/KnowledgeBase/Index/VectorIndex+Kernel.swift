import COpenBLAS
import Dispatch

extension VectorIndex {
    /// Rows scored at a time for one query: 16 KB of scores, taken into the top-k while still in L1.
    static let kernelBlockRows = 4096

    /// One query over every row: each worker scores its own contiguous range of rows into a small block and keeps
    /// its own top-k; the workers' top-k are merged at the end.
    ///
    /// A query reads the whole matrix once (half of it in fp16), so its cost is memory bandwidth. Splitting rows across kb's own threads
    /// uses every core's share of it without waking OpenBLAS's thread pool for every block.
    func searchOne(_ query: UnsafePointer<Float>, k: Int, minScore: Float?, allowed: Set<Int64>?,
                   threads: Int) -> TopK {
        let rows = chunkIDs.count
        let workers = max(1, min(threads, rows / Self.kernelBlockRows))
        if workers == 1 {
            var heap = TopK(k: k)
            scanRows(0..<rows, query: query, minScore: minScore, allowed: allowed, into: &heap)
            return heap
        }
        var partial = [TopK](repeating: TopK(k: k), count: workers)
        partial.withUnsafeMutableBufferPointer { buffer in
            let heaps = SendableHeaps(pointer: buffer.baseAddress!)
            let shared = SendableQuery(pointer: query)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let range = (rows * worker / workers)..<(rows * (worker + 1) / workers)
                self.scanRows(range, query: shared.pointer, minScore: minScore, allowed: allowed,
                              into: &heaps.pointer[worker])
            }
        }
        var merged = TopK(k: k)
        for heap in partial { for hit in heap.heap { merged.insert(hit) } }
        return merged
    }

    private func scanRows(_ range: Range<Int>, query: UnsafePointer<Float>, minScore: Float?, allowed: Set<Int64>?,
                          into heap: inout TopK) {
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: Self.kernelBlockRows)
        defer { scores.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let count = min(Self.kernelBlockRows, range.upperBound - start)
            dotProducts(firstRow: start, rows: count, query: query, into: scores)
            collect(scores, firstRow: start, count: count, minScore: minScore, allowed: allowed, into: &heap)
            start += count
        }
    }

    /// `out[r] = rows[r] · query` for `rows` consecutive float32 rows of `dimension`, with OpenBLAS's SIMD `sdot`.
    static func dotProducts(_ matrix: UnsafePointer<Float>, rows: Int, dimension: Int, query: UnsafePointer<Float>,
                            into out: UnsafeMutablePointer<Float>) {
        let n = Int32(dimension)
        for row in 0..<rows { out[row] = cblas_sdot(n, matrix + row * dimension, 1, query, 1) }
    }
}

private struct SendableHeaps: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<TopK>
}

private struct SendableQuery: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
}
