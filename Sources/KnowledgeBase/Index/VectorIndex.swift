#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// All vectors of one fingerprint in one contiguous row-major `count × dimension` buffer, searched exactly.
///
/// Rows are L2-normalised on insert, so the dot product computed is the cosine similarity. Rows are held as float32
/// (scored with BLAS) or, with `IndexPrecision.fp16`, as IEEE halves rounded from the normalised float32 row (scored
/// with the C kernels in `CKernels`, which read half the bytes). A document's rows are replaced or removed under a
/// write lock, so a search sees either the old or the new version, never a mix.
public final class VectorIndex: @unchecked Sendable {
    public let dimension: Int
    let lock = ReadWriteLock()
    /// The fp16 kernels' implementation; tests force the portable loop.
    let kernel: HalfKernels.Choice
    // Guarded by `lock`: `capacity` rows of `rowBytes` each, from malloc (so growing is one realloc).
    var storage: UnsafeMutableRawPointer
    var storedPrecision: IndexPrecision
    var capacity: Int
    var chunkIDs: [Int64] = []
    var documentIDs: [Int64] = []
    var documentPaths: [Int64: String] = [:]
    /// One float32 row where an fp16 row is normalised before it is rounded; used by writers, under the write lock.
    let scratchRow: UnsafeMutablePointer<Float>
    private let threadCount: Atomic<Int>

    /// An empty index for `dimension`-dimensional vectors held in `precision` (default float32).
    public convenience init(dimension: Int, reservingRows rows: Int = 1024, precision: IndexPrecision = .fp32) {
        self.init(dimension: dimension, reservingRows: rows, precision: precision, kernel: .best)
    }

    init(dimension: Int, reservingRows rows: Int, precision: IndexPrecision, kernel: HalfKernels.Choice) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        self.kernel = kernel
        self.storedPrecision = precision
        let reserved = max(rows, 16)
        self.capacity = reserved
        self.storage = Self.allocateRows(reserved, bytesPerRow: dimension * precision.bytesPerComponent)
        self.scratchRow = .allocate(capacity: dimension)
        self.threadCount = Atomic(max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        bindStorage()
    }

    /// Threads a search may use (default: the active processor count); single queries also rely on OpenBLAS's own
    /// threads, set with `BLASRuntime.setThreads`.
    public var searchThreads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(max(1, newValue), ordering: .relaxed) }
    }

    deinit {
        free(storage)
        scratchRow.deallocate()
    }

    /// How rows are held in memory.
    public var precision: IndexPrecision { lock.withReadLock { storedPrecision } }

    /// Number of vectors held.
    public var count: Int { lock.withReadLock { chunkIDs.count } }

    /// Bytes of vector data held (what one query has to stream from memory).
    public var vectorBytes: Int { lock.withReadLock { chunkIDs.count * rowBytes } }

    /// Replaces every row of document `documentID` with `rows` in one step.
    ///
    /// - Throws: `IndexError` if a vector has the wrong dimension or is not finite; the index is then unchanged.
    public func replaceDocument(_ documentID: Int64, path: String, rows: [(chunkID: Int64, vector: [Float])]) throws {
        for row in rows { try validate(row.vector, what: "vector of chunk \(row.chunkID)") }
        lock.withWriteLock {
            removeRows(of: documentID)
            documentPaths[documentID] = path
            reserve(chunkIDs.count + rows.count)
            for row in rows { appendNormalised(row.vector, chunkID: row.chunkID, documentID: documentID) }
        }
    }

    /// Removes every row of document `documentID`; removing an unknown document does nothing.
    public func removeDocument(_ documentID: Int64) {
        lock.withWriteLock { removeRows(of: documentID) }
    }

    /// Appends one row while loading from the store; the caller holds the write lock. `vector` holds `dimension`
    /// little-endian Float32 values as stored (the row is normalised here).
    func appendStoredRow(_ vector: UnsafeRawPointer, chunkID: Int64, documentID: Int64) {
        reserve(chunkIDs.count + 1)
        storeRow(chunkIDs.count, from: vector)
        chunkIDs.append(chunkID)
        documentIDs.append(documentID)
    }

    func validate(_ vector: [Float], what: String) throws {
        guard vector.count == dimension else {
            throw IndexError.dimensionMismatch(expected: dimension, got: vector.count, what: what)
        }
        guard vector.allSatisfy(\.isFinite) else { throw IndexError.notFinite(what: what) }
    }

    // Swap-remove from the highest row down, so rows still to visit keep their positions.
    private func removeRows(of documentID: Int64) {
        guard documentPaths.removeValue(forKey: documentID) != nil else { return }
        var row = chunkIDs.count - 1
        while row >= 0 {
            if documentIDs[row] == documentID {
                let last = chunkIDs.count - 1
                if row != last {
                    (storage + row * rowBytes).copyMemory(from: storage + last * rowBytes, byteCount: rowBytes)
                    chunkIDs[row] = chunkIDs[last]
                    documentIDs[row] = documentIDs[last]
                }
                chunkIDs.removeLast()
                documentIDs.removeLast()
            }
            row -= 1
        }
    }

    func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        var newCapacity = capacity
        while newCapacity < rows { newCapacity *= 2 }
        resizeStorage(rows: newCapacity)
    }

    private func appendNormalised(_ vector: [Float], chunkID: Int64, documentID: Int64) {
        vector.withUnsafeBytes { storeRow(chunkIDs.count, from: $0.baseAddress!) }
        chunkIDs.append(chunkID)
        documentIDs.append(documentID)
    }
}
