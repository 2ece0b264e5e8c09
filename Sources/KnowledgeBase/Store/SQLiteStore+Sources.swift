import Foundation

/// A synced source: where `kb sync` reads it from and what it last synced.
public struct SourceRecord: Sendable, Codable, Equatable {
    public var name: String
    /// The resolved folder (or the folder inside a git working tree) the source is synced from.
    public var root: String
    /// `folder` or `git`.
    public var kind: String
    /// For git sources: the ref synced (HEAD by default) and the commit it resolved to.
    public var ref: String?
    public var revision: String?
    public var syncedAt: String?
    public var documents: Int
}

extension SQLiteStore {
    /// Every synced source, by name.
    public func sources() throws -> [SourceRecord] {
        try withConnection { connection in
            let statement = try connection.prepare("""
                SELECT s.name, s.root, s.kind, s.ref, s.revision, s.synced_at,
                       (SELECT count(*) FROM documents d WHERE d.source = s.name)
                FROM sources s ORDER BY s.name
                """)
            var sources: [SourceRecord] = []
            while try statement.step() {
                sources.append(SourceRecord(
                    name: statement.text(0), root: statement.text(1), kind: statement.text(2),
                    ref: statement.isNull(3) ? nil : statement.text(3),
                    revision: statement.isNull(4) ? nil : statement.text(4),
                    syncedAt: statement.isNull(5) ? nil : statement.text(5), documents: Int(statement.int(6))))
            }
            return sources
        }
    }

    /// Takes `name` for a sync from `root` before anything is written: a source stays where it was first synced from,
    /// and two sources never cover the same files. Checked and recorded in one write transaction, so two first
    /// syncs of one name cannot both pass.
    public func claimSource(name: String, root: String, kind: String) throws {
        try writeTransaction { connection in
            let statement = try connection.prepare("SELECT name, root FROM sources")
            var found = false
            while try statement.step() {
                let (other, otherRoot) = (statement.text(0), statement.text(1))
                if other == name {
                    guard otherRoot == root else { throw SyncError.sourceMoved(name: name, stored: otherRoot, given: root) }
                    found = true
                } else if Syncer.contains(otherRoot, root) || Syncer.contains(root, otherRoot) {
                    throw SyncError.overlappingSource(name: name, root: root, other: other, otherRoot: otherRoot)
                }
            }
            if !found {
                try connection.prepare("INSERT INTO sources(name, root, kind) VALUES (?, ?, ?)")
                    .bind(.text(name), .text(root), .text(kind)).run()
            }
        }
    }

    /// Records (or updates) a synced source after a sync.
    public func recordSource(name: String, root: String, kind: String, ref: String?, revision: String?) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try writeTransaction { connection in
            try connection.prepare("""
                INSERT INTO sources(name, root, kind, ref, revision, synced_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET root = excluded.root, kind = excluded.kind, ref = excluded.ref,
                    revision = excluded.revision, synced_at = excluded.synced_at
                """).bind(.text(name), .text(root), .text(kind), ref.map { .text($0) } ?? .null,
                          revision.map { .text($0) } ?? .null, .text(now)).run()
        }
    }
}
