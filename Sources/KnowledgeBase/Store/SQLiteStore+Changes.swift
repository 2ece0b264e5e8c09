import Foundation

/// One entry of the change feed: what changed in which transaction.
public struct StoreChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A document was written for the first time, replaced, or deleted.
        case added, replaced, removed
        /// The active embedding fingerprint was set or switched (first write, `kb reindex`): reload the index.
        case fingerprint
    }

    /// Increases with every change and is never reused, also after pruning.
    public var sequence: Int64
    public var kind: Kind
    public var documentID: Int64?
    /// When the change was committed, in milliseconds since 1970.
    public var committedAt: Int64
}

/// The changes after a position, and whether the feed still holds all of them.
public struct ChangeBatch: Sendable {
    public var changes: [StoreChange]
    /// False when changes after the asked-for position were pruned: the reader fell behind and must reload.
    public var complete: Bool
    /// The newest sequence in the store when the batch was read.
    public var latest: Int64
}

/// A document's rows as they are now, read in one statement (so from one committed version).
public struct DocumentRows: Sendable {
    public var documentID: Int64
    /// Nil when the document no longer exists.
    public var path: String?
    public var rows: [(chunkID: Int64, vector: [Float])]
}

extension SQLiteStore {
    /// A number that changes whenever any connection, this one included, commits a write: one pragma, no table read.
    public func changeCounter() throws -> Int64 {
        let external = try withConnection { try Self.scalar($0, "PRAGMA data_version") }
        return external &* 1_000_003 &+ localCommitCount
    }

    /// The newest change's sequence (0 for none).
    public func latestSequence() throws -> Int64 {
        try withConnection { try Self.latestSequence($0) }
    }

    // From AUTOINCREMENT's counter: the newest sequence ever handed out, also when pruning removed every row.
    static func latestSequence(_ connection: SQLiteConnection) throws -> Int64 {
        try scalar(connection, "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'changes'")
    }

    /// Up to `limit` changes after `sequence`, oldest first.
    public func changes(after sequence: Int64, limit: Int) throws -> ChangeBatch {
        try withConnection { connection in
            // One read transaction: the pruned mark and the rows come from the same committed state.
            try connection.execute("BEGIN")
            defer {
                connection.resetStatements()
                try? connection.execute("COMMIT")
            }
            let pruned = try Self.scalar(connection,
                "SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'changes_pruned_through'")
            let statement = try connection.prepare(
                "SELECT seq, kind, document_id, at_ms FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(.integer(sequence), .int(limit))
            var changes: [StoreChange] = []
            while try statement.step() {
                guard let kind = StoreChange.Kind(rawValue: statement.text(1)) else { continue }
                changes.append(StoreChange(sequence: statement.int(0), kind: kind,
                                           documentID: statement.isNull(2) ? nil : statement.int(2),
                                           committedAt: statement.int(3)))
            }
            return ChangeBatch(changes: changes, complete: pruned <= sequence,
                               latest: try Self.latestSequence(connection))
        }
    }

    /// When the oldest change after `sequence` was committed (ms since 1970), or nil when there is none.
    public func oldestChange(after sequence: Int64) throws -> Int64? {
        try withConnection { connection in
            let statement = try connection.prepare("SELECT at_ms FROM changes WHERE seq > ? ORDER BY seq LIMIT 1")
                .bind(.integer(sequence))
            return try statement.step() ? statement.int(0) : nil
        }
    }

    /// The rows of `documentID` under `fingerprintKey` as currently committed.
    public func documentRows(_ documentID: Int64, fingerprintKey: String, dimension: Int) throws -> DocumentRows {
        try withConnection { connection in
            let statement = try connection.prepare("""
                SELECT d.path, c.id, v.vector FROM documents d
                LEFT JOIN chunks c ON c.document_id = d.id
                LEFT JOIN vectors v ON v.chunk_id = c.id AND v.fingerprint = ?
                WHERE d.id = ? ORDER BY c.ordinal
                """).bind(.text(fingerprintKey), .integer(documentID))
            var result = DocumentRows(documentID: documentID, path: nil, rows: [])
            while try statement.step() {
                result.path = statement.text(0)
                guard !statement.isNull(1), !statement.isNull(2) else { continue }
                let chunkID = statement.int(1)
                let vector = try statement.withBlob(2) { bytes -> [Float] in
                    guard bytes.count == dimension * 4 else {
                        throw StoreError.corruptVector(chunkID: chunkID, bytes: bytes.count, dimension: dimension)
                    }
                    return Array(bytes.bindMemory(to: Float.self))
                }
                result.rows.append((chunkID, vector))
            }
            return result
        }
    }

    /// Records that the following process `reader` has applied every change up to `sequence`, so the feed keeps
    /// what it still needs; `nil` removes the reader (on shutdown).
    public func recordReader(_ reader: String, sequence: Int64?) throws {
        try withConnection { connection in
            if let sequence {
                try connection.prepare("""
                    INSERT INTO readers(id, seq, seen_ms) VALUES (?, ?, \(Schema.nowMilliseconds))
                    ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, seen_ms = excluded.seen_ms
                    """).bind(.text(reader), .integer(sequence)).run()
            } else {
                try connection.prepare("DELETE FROM readers WHERE id = ?").bind(.text(reader)).run()
            }
        }
    }

    /// Deletes the changes every live reader has applied, keeping the newest `changeRetention`; readers silent for
    /// longer than the reader timeout are forgotten (they reload when they come back). Runs in each write transaction.
    func pruneChanges(_ connection: SQLiteConnection) throws {
        let latest = try Self.latestSequence(connection)
        try connection.prepare("DELETE FROM readers WHERE seen_ms < \(Schema.nowMilliseconds) - ?")
            .bind(.integer(Self.readerTimeoutMilliseconds)).run()
        let slowest = try connection.prepare("SELECT min(seq) FROM readers")
        var through = latest - Int64(changeRetention)
        if try slowest.step(), !slowest.isNull(0) { through = min(through, slowest.int(0)) }
        guard through > 0 else { return }
        try connection.prepare("DELETE FROM changes WHERE seq <= ?").bind(.integer(through)).run()
        guard connection.changes > 0 else { return }
        try connection.prepare("""
            INSERT INTO meta(key, value) VALUES ('changes_pruned_through', ?)
            ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
            """).bind(.text(String(through))).run()
    }
}
