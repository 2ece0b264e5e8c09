import Foundation
import Synchronization

extension PostgresStore {
    /// Changes when this process commits, when another one does (a `NOTIFY` on the feed's channel), and once a
    /// second regardless, so a notification lost with a dropped connection costs at most a second, never a change.
    public func changeCounter() throws -> Int64 {
        listener.start()
        let heard = listener.count
        listener.lastCounted.store(heard, ordering: .relaxed)
        return heard &* 1_000_003 &+ localCommitCount
    }

    /// Wakes on the next notification (or the listener's once-a-second tick), so a follower applies another
    /// replica's write within milliseconds instead of at its next poll.
    public func waitForChange(upTo timeout: Duration, unless stop: StopSignal) {
        listener.start()
        // From the count the last feed read saw: a notification that came since wakes the follower at once.
        listener.wait(after: listener.lastCounted.load(ordering: .relaxed), upTo: timeout, unless: stop)
    }

    public func latestSequence() throws -> Int64 {
        try withConnection { try Self.latestSequence($0) }
    }

    // The newest committed sequence, also when pruning removed every row. (The sequence object itself runs ahead of
    // what is committed, so it is not used.)
    static func latestSequence(_ connection: PostgresConnection) throws -> Int64 {
        try scalar(connection, """
            SELECT greatest((SELECT coalesce(max(seq), 0) FROM changes),
                            (SELECT coalesce(max(value::bigint), 0) FROM kb_meta WHERE key = 'changes_pruned_through'))
            """)
    }

    public func changes(after sequence: Int64, limit: Int) throws -> ChangeBatch {
        try withSnapshot { connection in
            let pruned = try Self.scalar(connection,
                "SELECT coalesce(max(value::bigint), 0) FROM kb_meta WHERE key = 'changes_pruned_through'")
            let rows = try connection.query(
                "SELECT seq, kind, document_id, at_ms FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                [.integer(sequence), .int(limit)])
            var changes: [StoreChange] = []
            for row in 0..<rows.rows {
                guard let kind = StoreChange.Kind(rawValue: rows.text(row, 1)) else { continue }
                changes.append(StoreChange(sequence: rows.int(row, 0), kind: kind,
                                           documentID: rows.isNull(row, 2) ? nil : rows.int(row, 2),
                                           committedAt: rows.int(row, 3)))
            }
            return ChangeBatch(changes: changes, complete: pruned <= sequence,
                               latest: try Self.latestSequence(connection))
        }
    }

    public func oldestChange(after sequence: Int64) throws -> Int64? {
        try withConnection { connection in
            let rows = try connection.query("SELECT at_ms FROM changes WHERE seq > $1 ORDER BY seq LIMIT 1",
                                            [.integer(sequence)])
            return rows.rows > 0 ? rows.int(0, 0) : nil
        }
    }

    public func documentRows(_ documentID: Int64, fingerprintKey: String, dimension: Int) throws -> DocumentRows {
        try withConnection { connection in
            let rows = try connection.query("""
                SELECT d.path, c.id, v.vector FROM documents d
                LEFT JOIN chunks c ON c.document_id = d.id
                LEFT JOIN vectors v ON v.chunk_id = c.id AND v.fingerprint = $1
                WHERE d.id = $2 ORDER BY c.ordinal
                """, [.text(fingerprintKey), .integer(documentID)], binary: true)
            var result = DocumentRows(documentID: documentID, path: nil, rows: [])
            for row in 0..<rows.rows {
                result.path = rows.text(row, 0)
                guard !rows.isNull(row, 1), !rows.isNull(row, 2) else { continue }
                let chunkID = rows.int(row, 1)
                let vector = rows.floats(row, 2)
                guard vector.count == dimension else {
                    throw StoreError.corruptVector(chunkID: chunkID, bytes: vector.count * 4, dimension: dimension)
                }
                result.rows.append((chunkID, vector))
            }
            return result
        }
    }

    public func recordReader(_ reader: String, sequence: Int64?) throws {
        try withConnection { connection in
            if let sequence {
                try connection.query("""
                    INSERT INTO readers(id, seq, seen_ms) VALUES ($1, $2, kb_now_ms())
                    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, seen_ms = excluded.seen_ms
                    """, [.text(reader), .integer(sequence)])
            } else {
                try connection.query("DELETE FROM readers WHERE id = $1", [.text(reader)])
            }
        }
    }

    /// Deletes the changes every live reader has applied, keeping the newest `changeRetention`; readers silent for
    /// ten minutes are forgotten. Runs in each write transaction.
    func pruneChanges(_ connection: PostgresConnection) throws {
        let latest = try Self.latestSequence(connection)
        try connection.query("DELETE FROM readers WHERE seen_ms < kb_now_ms() - $1",
                             [.integer(SQLiteStore.readerTimeoutMilliseconds)])
        let slowest = try connection.query("SELECT min(seq) FROM readers")
        var through = latest - Int64(changeRetention)
        if slowest.rows > 0, !slowest.isNull(0, 0) { through = min(through, slowest.int(0, 0)) }
        guard through > 0 else { return }
        guard try connection.query("DELETE FROM changes WHERE seq <= $1", [.integer(through)]).affectedRows > 0 else {
            return
        }
        try connection.query("""
            INSERT INTO kb_meta(key, value) VALUES ('changes_pruned_through', $1)
            ON CONFLICT (key) DO UPDATE SET value = greatest(kb_meta.value::bigint, excluded.value::bigint)::text
            """, [.text(String(through))])
    }
}

/// Counts notifications on the feed's channel on a thread of its own, with its own connection (`LISTEN` holds it).
///
/// Started by the first `changeCounter()` (commands that never follow the feed never open it). The count also moves
/// once a second without a notification, and on every round while the connection is down, so followers re-read the
/// feed: a lost notification delays a change by at most that second.
final class PostgresListener: @unchecked Sendable {
    private let pool: PostgresPool
    private let channel: String
    private let counter = Atomic<Int64>(0)
    private let moved = NSCondition()
    /// The count when `changeCounter()` last read it.
    let lastCounted = Atomic<Int64>(-1)
    private let started = Atomic<Bool>(false)
    private let stopped = StopSignal()

    init(pool: PostgresPool, channel: String) {
        self.pool = pool
        self.channel = channel
    }

    var count: Int64 { counter.load(ordering: .relaxed) }

    private func bump() {
        counter.add(1, ordering: .relaxed)
        moved.withLock { moved.broadcast() }
    }

    /// Waits until the count passes `seen`, `timeout` passes, or `stop` is set (checked every 50 ms at most).
    func wait(after seen: Int64, upTo timeout: Duration, unless stop: StopSignal) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        moved.withLock {
            while count == seen && !stop.isSet {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { return }
                let slice = min(left, .milliseconds(50))
                let seconds = Double(slice.components.seconds) + Double(slice.components.attoseconds) / 1e18
                _ = moved.wait(until: Date(timeIntervalSinceNow: seconds))
            }
        }
    }

    func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            var connection: PostgresConnection?
            while !stopped.isSet {
                do {
                    if connection == nil || connection?.isHealthy == false {
                        let fresh = try pool.makeConnection()
                        try fresh.execute("LISTEN \"\(channel)\"")
                        connection = fresh
                        // Whatever was committed while no one listened is picked up by the followers' next read.
                        bump()
                    }
                    guard let listening = connection else { continue }
                    if listening.waitReadable(milliseconds: 1000) {
                        guard listening.consumeInput() else {
                            connection = nil
                            continue
                        }
                        if !listening.takeNotifications().isEmpty { bump() }
                    } else {
                        bump()
                    }
                } catch {
                    connection = nil
                    bump()
                    stopped.wait(for: .seconds(1))
                }
            }
        }
        thread.name = "kb-postgres-listener"
        thread.start()
    }

    func stop() { stopped.set() }
}
