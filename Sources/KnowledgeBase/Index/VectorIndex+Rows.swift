import COpenBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension VectorIndex {
    /// Bytes one row takes in the current precision.
    var rowBytes: Int { dimension * storedPrecision.bytesPerComponent }

    /// The rows as float32; only while `storedPrecision` is `.fp32`.
    var floatRows: UnsafeMutablePointer<Float> { storage.assumingMemoryBound(to: Float.self) }

    /// The rows as IEEE half bit patterns; only while `storedPrecision` is `.fp16`.
    var halfRows: UnsafeMutablePointer<UInt16> { storage.assumingMemoryBound(to: UInt16.self) }

    /// Writes `vector` (`dimension` float32 values, any length) at `row`, L2-normalised, in the index's precision;
    /// the caller holds the write lock and has reserved the row.
    func storeRow(_ row: Int, from vector: UnsafeRawPointer) {
        let bytes = dimension * MemoryLayout<Float>.size
        switch storedPrecision {
        case .fp32:
            let target = floatRows + row * dimension
            UnsafeMutableRawPointer(target).copyMemory(from: vector, byteCount: bytes)
            normalise(target)
        case .fp16:
            // Normalised in float32 first, so the half row is the rounding of the exact unit vector.
            UnsafeMutableRawPointer(scratchRow).copyMemory(from: vector, byteCount: bytes)
            normalise(scratchRow)
            HalfKernels.narrow(scratchRow, into: halfRows + row * dimension, count: dimension, kernel: kernel)
        }
    }

    /// Scales `row` to unit length; a zero row stays zero, and a row already of unit length (as embedders return
    /// them) is left as it is.
    func normalise(_ row: UnsafeMutablePointer<Float>) {
        let n = Int32(dimension)
        let sum = cblas_sdot(n, row, 1, row, 1)
        guard sum > 0, abs(sum - 1) > 1e-6 else { return }
        cblas_sscal(n, 1 / sum.squareRoot(), row, 1)
    }

    /// Scores rows `start ..< start + rows` against a normalised float32 query into `out`, in either precision.
    func dotProducts(firstRow start: Int, rows: Int, query: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        switch storedPrecision {
        case .fp32:
            Self.dotProducts(floatRows + start * dimension, rows: rows, dimension: dimension, query: query, into: out)
        case .fp16:
            HalfKernels.dotProducts(halfRows + start * dimension, rows: rows, dimension: dimension, query: query,
                                    into: out, kernel: kernel)
        }
    }

    /// Reallocates the rows to hold `rows` rows of the current precision, keeping what is stored.
    func resizeStorage(rows: Int) {
        guard let grown = realloc(storage, max(1, rows * rowBytes)) else {
            fatalError("out of memory: cannot hold \(rows) index rows of \(rowBytes) bytes")
        }
        storage = grown
        capacity = rows
        Self.adviseHugePages(grown, bytes: rows * rowBytes)
        bindStorage()
    }

    static func allocateRows(_ rows: Int, bytesPerRow: Int) -> UnsafeMutableRawPointer {
        guard let memory = malloc(max(1, rows * bytesPerRow)) else {
            fatalError("out of memory: cannot hold \(rows) index rows of \(bytesPerRow) bytes")
        }
        adviseHugePages(memory, bytes: rows * bytesPerRow)
        return memory
    }

    /// Asks Linux to back a large buffer with 2 MiB pages: a million 384-float rows then take 750 page faults
    /// instead of 375,000, and scans miss the TLB less. Advice only; ignored where not supported.
    static func adviseHugePages(_ memory: UnsafeMutableRawPointer, bytes: Int) {
        guard bytes >= 4 << 20 else { return }
        advise(memory, bytes: bytes, 14)  // MADV_HUGEPAGE
    }

    /// Faults in every page of `bytes` from `memory` (without writing them) so a loader copying rows in does not
    /// stop at each new page: Linux's `MADV_POPULATE_WRITE` (5.14+), run on another thread while the rows are read.
    /// Safe while rows are being written there: it maps pages and leaves their contents alone.
    static func prefault(_ memory: UnsafeMutableRawPointer, bytes: Int) {
        advise(memory, bytes: bytes, 23)  // MADV_POPULATE_WRITE; fails harmlessly before 5.14
    }

    // madvise on the whole pages inside `bytes` from `memory` (malloc's large blocks start 16 bytes into a page).
    private static func advise(_ memory: UnsafeMutableRawPointer, bytes: Int, _ advice: Int32) {
        #if os(Linux)
        let page = 4096
        let start = (Int(bitPattern: memory) + page - 1) / page * page
        let end = (Int(bitPattern: memory) + bytes) / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, advice)
        #endif
    }

    func bindStorage() {
        switch storedPrecision {
        case .fp32: storage.bindMemory(to: Float.self, capacity: capacity * dimension)
        case .fp16: storage.bindMemory(to: UInt16.self, capacity: capacity * dimension)
        }
    }
}
