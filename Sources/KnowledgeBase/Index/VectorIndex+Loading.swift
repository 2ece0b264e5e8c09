import Dispatch
import Foundation

extension VectorIndex {
    /// An index filled by `scan`, which hands over every stored row of one store snapshot: chunk id, document id and
    /// the vector's little-endian float32 bytes (only valid during the call). Rows go straight into `precision`.
    ///
    /// The kernel maps the reserved buffer's pages on another core while the store is read. The buffer only moves
    /// when more rows arrive than `rows` (another process wrote meanwhile): that waits first.
    /// - Throws: `StoreError.corruptVector` for a vector of the wrong size, or what `scan` throws.
    static func load(dimension: Int, reservingRows rows: Int, precision: IndexPrecision = .fp32,
                     documentPaths: [Int64: String],
                     scan: (_ append: (Int64, Int64, UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws
        -> VectorIndex
    {
        let index = VectorIndex(dimension: dimension, reservingRows: rows, precision: precision)
        let reserved = (memory: SendableMemory(pointer: index.storage), bytes: index.capacity * index.rowBytes,
                        rows: index.capacity)
        let prefaulted = DispatchSemaphore(value: 0)
        var prefaulting = true
        Thread {
            VectorIndex.prefault(reserved.memory.pointer, bytes: reserved.bytes)
            prefaulted.signal()
        }.start()
        defer { if prefaulting { prefaulted.wait() } }
        let bytes = dimension * MemoryLayout<Float>.size
        try index.lock.withWriteLock {
            index.documentPaths = documentPaths
            try scan { chunkID, documentID, vector in
                guard vector.count == bytes else {
                    throw StoreError.corruptVector(chunkID: chunkID, bytes: vector.count, dimension: dimension)
                }
                if prefaulting && index.chunkIDs.count == reserved.rows {
                    prefaulted.wait()
                    prefaulting = false
                }
                index.appendStoredRow(vector.baseAddress!, chunkID: chunkID, documentID: documentID)
            }
        }
        return index
    }
}

/// The index buffer handed to the prefault thread, which only passes it to `madvise`.
private struct SendableMemory: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}
