import Foundation
import Logging
import Synchronization

/// The store and the in-memory vector index, kept in step.
///
/// A write commits to SQLite and updates the index under one write lock; a query searches the index and
/// reads the chunks under a read lock, so it never sees a chunk id whose text is gone or a half-replaced
/// document. The index is loaded on first use, so commands that only write never pay for loading it.
public final class Catalog: Sendable {
    public let store: SQLiteStore
    private let lock = ReadWriteLock()
    private let loaded = Mutex<VectorIndex?>(nil)
    private let logger: Logger
    /// How the loaded index holds its vectors in memory; the store keeps float32 either way.
    public let precision: IndexPrecision

    public init(store: SQLiteStore, logger: Logger, precision: IndexPrecision = .fp32) {
        self.store = store
        self.logger = logger
        self.precision = precision
    }

    /// Loads the vectors of the active fingerprint into memory if not done yet; nil when nothing is stored.
    @discardableResult
    public func loadIndex() throws -> VectorIndex? {
        if let index = loaded.withLock({ $0 }) { return index }
        return try lock.withWriteLock {
            if let index = loaded.withLock({ $0 }) { return index }
            guard let fingerprint = try store.fingerprint() else { return nil }
            let started = ContinuousClock.now
            let index = try VectorIndex.load(from: store, fingerprint: fingerprint,
                                             reservingRows: try store.vectorCount(fingerprint), precision: precision)
            logger.info("index loaded", metadata: [
                "index.rows": "\(index.count)", "index.dimension": "\(fingerprint.dimension)",
                "index.precision": "\(precision)", "index.bytes": "\(index.vectorBytes)",
                "duration_ms": "\(started.duration(to: .now).milliseconds)",
            ])
            loaded.withLock { $0 = index }
            return index
        }
    }

    /// Runs `body` while no write can happen.
    public func read<T>(_ body: (VectorIndex?) throws -> T) rethrows -> T {
        try lock.withReadLock { try body(loaded.withLock { $0 }) }
    }

    /// Writes a document to the store and, if loaded, the index, as one step for readers.
    public func commit(_ document: DocumentWrite, fingerprint: EmbeddingFingerprint) throws -> WrittenDocument {
        try lock.withWriteLock {
            let written = try store.write(document, fingerprint: fingerprint)
            try loaded.withLock { $0 }?.replaceDocument(written.id, path: document.path, rows: written.rows)
            return written
        }
    }

    /// Removes a document from the store and the index; false when there was none.
    @discardableResult
    public func remove(documentID: Int64) throws -> Bool {
        try lock.withWriteLock {
            let removed = try store.removeDocument(id: documentID)
            loaded.withLock { $0 }?.removeDocument(documentID)
            return removed
        }
    }

    /// Drops the loaded index so the next query reloads it (after a reindex switched fingerprints).
    public func invalidateIndex() {
        lock.withWriteLock { loaded.withLock { $0 = nil } }
    }
}
