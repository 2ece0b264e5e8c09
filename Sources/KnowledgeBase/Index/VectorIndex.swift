#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// All vectors of one fingerprint in one contiguous row-major `count × dimension` Float32 buffer, searched exactly.
///
/// Rows are L2-normalised on insert, so the dot product BLAS computes is the cosine similarity. A document's rows
/// are replaced or removed under a write lock, so a search sees either the old or the new version, never a mix.
public final class VectorIndex: @unchecked Sendable {
    public let dimension: Int
    let lock = ReadWriteLock()
    // Guarded by `lock`.
    var storage: UnsafeMutablePointer<Float>
    var capacity: Int
    var chunkIDs: [Int64] = []
    var documentIDs: [Int64] = []
    var documentPaths: [Int64: String] = [:]
    private let threadCount: Atomic<Int>

    /// An empty index for `dimension`-dimensional vectors.
    public init(dimension: Int, reservingRows rows: Int = 1024) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        self.capacity = max(rows, 16)
        self.storage = .allocate(capacity: capacity * dimension)
        self.threadCount = Atomic(max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// Threads a search may use (default: the active processor count); single queries also rely on OpenBLAS's own
    /// threads, set with `BLASRuntime.setThreads`.
    public var searchThreads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(max(1, newValue), ordering: .relaxed) }
    }

    deinit { storage.deallocate() }

    /// Number of vectors held.
    public var count: Int { lock.withReadLock { chunkIDs.count } }

    /// Bytes of vector data held (what one query has to stream from memory).
    public var vectorBytes: Int { lock.withReadLock { chunkIDs.count * dimension * MemoryLayout<Float>.size } }

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
        let row = storage + chunkIDs.count * dimension
        UnsafeMutableRawPointer(row).copyMemory(from: vector, byteCount: dimension * MemoryLayout<Float>.size)
        normalise(row)
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
                    (storage + row * dimension).update(from: storage + last * dimension, count: dimension)
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
        let grown = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dimension)
        grown.moveInitialize(from: storage, count: chunkIDs.count * dimension)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }

    private func appendNormalised(_ vector: [Float], chunkID: Int64, documentID: Int64) {
        let row = storage + chunkIDs.count * dimension
        vector.withUnsafeBufferPointer { row.update(from: $0.baseAddress!, count: dimension) }
        normalise(row)
        chunkIDs.append(chunkID)
        documentIDs.append(documentID)
    }

    func normalise(_ row: UnsafeMutablePointer<Float>) {
        var sum: Float = 0
        for i in 0..<dimension { sum += row[i] * row[i] }
        guard sum > 0 else { return }
        let scale = 1 / sum.squareRoot()
        for i in 0..<dimension { row[i] *= scale }
    }
}
