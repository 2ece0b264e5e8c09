import Foundation
import Logging
import Synchronization

/// The index as loaded or last brought up to date: which fingerprint its vectors have and the last change applied.
public struct LoadedIndex: Sendable {
    /// Nil while the knowledge base is empty (no fingerprint yet).
    public var index: VectorIndex?
    public var fingerprint: EmbeddingFingerprint?
    /// Every change of the feed up to this one is in `index`.
    public var sequence: Int64
}

/// The store and the in-memory vector index, kept in step with every writer of the store.
///
/// The index follows the store's change feed: before each query (`refresh`, one pragma when nothing changed) and in
/// the background (`follow`), the documents changed since the last applied sequence are re-read and replaced in the
/// index in one step; a fingerprint switch (reindex) or a reader that fell behind the pruned feed loads a new index
/// beside the old one and swaps it in, so queries never fail meanwhile. A query searches under a read lock and only
/// keeps chunks both the index and the store hold; chunk ids are never reused, so every result of a document comes
/// from one version. The index is loaded on first use, so commands that only write never pay for loading it.
public final class Catalog: Sendable {
    public let store: any KnowledgeStore
    // Commits and the follower must not wait behind a steady stream of queries; no reader takes it twice.
    private let lock = ReadWriteLock(preferWriters: true)
    private let loaded = Mutex<LoadedIndex?>(nil)
    /// One thread applies changes at a time; others go on with the index as it is.
    private let applying = Mutex<Void>(())
    /// The store's change counter when the feed was last read; equal means nothing was committed since.
    private let lastCounter = Atomic<Int64>(Int64.min)
    private let logger: Logger
    /// How the loaded index holds its vectors in memory; the store keeps float32 either way.
    public let precision: IndexPrecision
    /// Names this process in the store's `readers` table while it follows the feed.
    let readerID = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
    private let lastReported = Mutex<(sequence: Int64, at: ContinuousClock.Instant)?>(nil)
    /// Question words' chunk counts at the applied sequence, for every query engine over this catalog (they are
    /// made per request); dropped as the change feed moves the sequence on.
    let termCounts = TermCountCache()
    /// The normalised words of chunks queries have looked at, for the refusal rule's term coverage.
    let chunkConcepts = ChunkConcepts()

    public init(store: any KnowledgeStore, logger: Logger, precision: IndexPrecision = .fp32) {
        self.store = store
        self.logger = logger
        self.precision = precision
    }

    /// Loads the vectors of the active fingerprint into memory if not done yet; nil when nothing is stored.
    @discardableResult
    public func loadIndex() throws -> VectorIndex? {
        if let state = loaded.withLock({ $0 }) { return state.index }
        return try applying.withLock { _ in
            if let state = loaded.withLock({ $0 }) { return state.index }
            return try reload().index
        }
    }

    /// The loaded index with its fingerprint and sequence, loading it first if needed.
    public func loadedIndex() throws -> LoadedIndex {
        try loadIndex()
        return loaded.withLock { $0! }
    }

    /// The last change applied to the index, or nil before it is loaded.
    public var sequence: Int64? { loaded.withLock { $0?.sequence } }

    /// Runs `body` while no write can happen.
    public func read<T>(_ body: (VectorIndex?) throws -> T) rethrows -> T {
        try lock.withReadLock { try body(loaded.withLock { $0?.index }) }
    }

    /// Runs `body` with the loaded index state while no write can happen to the index.
    public func readLoaded<T>(_ body: (LoadedIndex?) throws -> T) rethrows -> T {
        try lock.withReadLock { try body(loaded.withLock { $0 }) }
    }

    /// Writes a document to the store and, if loaded, the index, as one step for readers.
    public func commit(_ document: DocumentWrite, fingerprint: EmbeddingFingerprint) throws -> WrittenDocument {
        let written = try lock.withWriteLock {
            let written = try store.write(document, fingerprint: fingerprint)
            termCounts.invalidate()
            if let state = loaded.withLock({ $0 }), state.fingerprint?.key == fingerprint.key {
                try state.index?.replaceDocument(written.id, path: document.path, rows: written.rows)
            }
            return written
        }
        try refresh()
        return written
    }

    /// Removes a document from the store and the index; false when there was none.
    @discardableResult
    public func remove(documentID: Int64) throws -> Bool {
        let removed = try lock.withWriteLock {
            let removed = try store.removeDocument(id: documentID)
            termCounts.invalidate()
            loaded.withLock { $0 }?.index?.removeDocument(documentID)
            return removed
        }
        try refresh()
        return removed
    }

    /// Applies the changes committed since the last applied one (by any process); returns true when the index
    /// changed. Cheap when nothing was committed (one pragma). While another thread applies, returns at once.
    @discardableResult
    public func refresh() throws -> Bool {
        guard loaded.withLock({ $0 != nil }) else { return false }
        guard let changed = try applying.withLockIfAvailable({ _ in try applyPendingChanges() }) else { return false }
        return changed
    }

    /// Follows the feed until the task is cancelled: a refresh every `interval` (errors are logged and retried), and
    /// the position reported to the store so the feed is pruned behind it. Loads the index first.
    ///
    /// Runs on a thread of its own: applying changes reads SQLite and a reload can take a second, which must not
    /// hold one of the few threads Swift's concurrency runs every request on.
    public func follow(every interval: Duration = .milliseconds(50)) async {
        let stop = StopSignal()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                let thread = Thread { [self] in
                    var failing = false
                    while !stop.isSet {
                        do {
                            try loadIndex()
                            try refresh()
                            try reportPosition()
                            if failing { logger.info("index follower recovered") }
                            failing = false
                        } catch {
                            if !failing {
                                logger.error("index follower cannot read the store", metadata: ["error": "\(error)"])
                            }
                            failing = true
                        }
                        store.waitForChange(upTo: interval, unless: stop)
                    }
                    try? store.recordReader(readerID, sequence: nil)
                    finished.resume()
                }
                thread.name = "kb-index-follower"
                thread.start()
            }
        } onCancel: {
            stop.set()
        }
    }

    /// Seconds since the oldest change not yet applied was committed; 0 when the index is up to date.
    public func lagSeconds() throws -> Double {
        guard let sequence else { return 0 }
        guard let oldest = try store.oldestChange(after: sequence) else { return 0 }
        return max(0, Date().timeIntervalSince1970 - Double(oldest) / 1000)
    }

    // Reports the applied sequence when it moved (at most once a second) and otherwise once a minute.
    private func reportPosition() throws {
        guard let sequence else { return }
        let now = ContinuousClock.now
        let due = lastReported.withLock { last -> Bool in
            guard let last else { return true }
            let age = last.at.duration(to: now)
            return (last.sequence != sequence && age >= .seconds(1)) || age >= .seconds(60)
        }
        guard due else { return }
        try store.recordReader(readerID, sequence: sequence)
        lastReported.withLock { $0 = (sequence, now) }
    }

    // Called with `applying` held.
    private func applyPendingChanges() throws -> Bool {
        var changed = false
        while true {
            guard let state = loaded.withLock({ $0 }) else { return changed }
            let counter = try store.changeCounter()
            if counter == lastCounter.load(ordering: .relaxed) { return changed }
            let started = ContinuousClock.now
            let batch = try store.changes(after: state.sequence)
            if !batch.complete || batch.changes.contains(where: { $0.kind == .fingerprint })
                || (state.fingerprint == nil && !batch.changes.isEmpty)
            {
                logger.info("index reloading", metadata: [
                    "reason": "\(batch.complete ? "fingerprint changed" : "fell behind the pruned change feed")",
                    "index.sequence": "\(state.sequence)",
                ])
                _ = try reload()
                changed = true
                continue
            }
            guard let last = batch.changes.last, let fingerprint = state.fingerprint else {
                lastCounter.store(counter, ordering: .relaxed)
                return changed
            }
            var seen = Set<Int64>()
            let documents = batch.changes.compactMap(\.documentID).filter { seen.insert($0).inserted }
            // Read outside the index lock (queries go on); each document's rows come from one committed version.
            let rows = try documents.map {
                try store.documentRows($0, fingerprintKey: fingerprint.key, dimension: fingerprint.dimension)
            }
            try lock.withWriteLock {
                for document in rows {
                    if let path = document.path {
                        try state.index?.replaceDocument(document.documentID, path: path, rows: document.rows)
                    } else {
                        state.index?.removeDocument(document.documentID)
                    }
                }
                loaded.withLock { $0?.sequence = last.sequence }
            }
            changed = true
            logger.debug("index followed changes", metadata: [
                "index.sequence": "\(last.sequence)", "changes": "\(batch.changes.count)",
                "documents": "\(documents.count)", "duration_ms": "\(started.duration(to: .now).milliseconds)",
            ])
            if last.sequence >= batch.latest { lastCounter.store(counter, ordering: .relaxed) }
        }
    }

    // Loads a new index from one consistent snapshot of the store beside the current one, then swaps it in.
    // Called with `applying` held.
    private func reload() throws -> LoadedIndex {
        let started = ContinuousClock.now
        let counter = try store.changeCounter()
        let state = try store.loadIndex(precision: precision)
        lock.withWriteLock { loaded.withLock { $0 = state } }
        lastCounter.store(counter, ordering: .relaxed)
        logger.info("index loaded", metadata: [
            "index.rows": "\(state.index?.count ?? 0)", "index.dimension": "\(state.fingerprint?.dimension ?? 0)",
            "index.precision": "\(precision)", "index.bytes": "\(state.index?.vectorBytes ?? 0)",
            "index.sequence": "\(state.sequence)", "duration_ms": "\(started.duration(to: .now).milliseconds)",
        ])
        return state
    }
}

/// A flag a thread waits on between rounds of work; setting it wakes the thread at once.
public final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    var isSet: Bool { condition.withLock { stopped } }

    func set() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// Waits until `duration` has passed or the flag is set.
    func wait(for duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.withLock {
            while !stopped && condition.wait(until: deadline) {}
        }
    }
}
