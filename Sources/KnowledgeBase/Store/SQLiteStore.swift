import CSQLite
import Foundation
import Synchronization

/// The knowledge base file: documents, chunks, vectors and the embedding cache in one SQLite database.
///
/// Writes are serialised on one connection by a lock (hence `@unchecked Sendable`); reads on the query path run on
/// a small pool of read-only connections beside them (WAL mode), as other processes' reads do.
public final class SQLiteStore: KnowledgeStore, @unchecked Sendable {
    private let lock = NSLock()
    private let connection: SQLiteConnection
    /// Nil for an in-memory store, which has only its one connection.
    private let readers: SQLiteReaderPool?
    /// Read-only connections a store opens at most.
    static let readerCapacity = 4
    public let path: String
    public var location: String { path }
    /// Write transactions committed through this store; `PRAGMA data_version` only counts other connections' commits.
    private let localCommits = Atomic<Int64>(0)
    /// How many of the newest changes the feed keeps even when every reader has seen them.
    public let changeRetention: Int
    /// A following process that has not reported its position for this long is taken for gone.
    static let readerTimeoutMilliseconds: Int64 = 10 * 60 * 1000

    /// Opens (or, with `create`, creates) the knowledge base at `path`, running pending migrations.
    ///
    /// - Throws: `StoreError.notFound` when `create` is false and there is no file, `.notADatabase`,
    ///   `.notAKnowledgeBase` or `.newerSchema` without modifying the file.
    public init(path: String, create: Bool = true, changeRetention: Int = 1000) throws {
        self.path = path
        self.changeRetention = max(0, changeRetention)
        if path != ":memory:" {
            if !create && !FileManager.default.fileExists(atPath: path) { throw StoreError.notFound(path: path) }
            try Self.checkHeader(path: path)
        }
        let connection = try SQLiteConnection(path: path)
        // Set first: another process may be creating or migrating the same file right now.
        try connection.execute("PRAGMA busy_timeout = 5000")
        try Self.checkIdentity(connection)
        connection.resetStatements()
        // 16 KiB pages hold ten 384-dimension vectors each (4 KiB pages hold two and leave a quarter empty), so the
        // index loads from fewer, fuller pages. It only takes effect when the file is created; existing files keep
        // their page size.
        try connection.execute("PRAGMA page_size = 16384")
        if path != ":memory:" { try connection.execute("PRAGMA journal_mode = WAL") }
        try connection.execute("PRAGMA synchronous = NORMAL")
        // Migrations rebuild tables that others refer to, which SQLite only allows with foreign keys off (the
        // pragma has no effect inside a transaction, so it is set around it).
        try connection.execute("PRAGMA foreign_keys = OFF")
        try Self.migrate(connection)
        // A statement stopped at its first row would keep a read snapshot from now on, and the first write after
        // another process commits would fail with SQLITE_BUSY_SNAPSHOT ("database is locked").
        connection.resetStatements()
        try connection.execute("PRAGMA foreign_keys = ON")
        self.connection = connection
        self.readers = path == ":memory:" ? nil : SQLiteReaderPool(path: path, capacity: Self.readerCapacity)
    }

    /// Runs `body` with exclusive use of the connection.
    func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try lock.withLock {
            defer { connection.resetStatements() }
            return try body(connection)
        }
    }

    /// Runs a read of committed data on a reader connection, so it neither waits for nor holds up a write (on the
    /// write connection for an in-memory store). Never for reads that must see a transaction in progress.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        guard let readers else { return try withConnection(body) }
        return try readers.withReader(body)
    }

    var localCommitCount: Int64 { localCommits.load(ordering: .relaxed) }

    /// Runs `body` in one write transaction: the only way anything in the store changes. Changes to documents and
    /// to the active fingerprint reach the feed through triggers in the same transaction; the feed is pruned here.
    func writeTransaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let result = try withConnection { connection in
            try connection.transaction {
                let result = try body(connection)
                try pruneChanges(connection)
                return result
            }
        }
        localCommits.add(1, ordering: .relaxed)
        return result
    }

    // A file that exists but does not start with SQLite's magic is refused before SQLite touches it.
    private static func checkHeader(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }
        if header != Data("SQLite format 3\0".utf8) { throw StoreError.notADatabase(path: path) }
    }

    private static func checkIdentity(_ connection: SQLiteConnection) throws {
        let applicationID: Int64
        let version: Int64
        var tables: [String] = []
        do {
            applicationID = try scalar(connection, "PRAGMA application_id")
            version = try scalar(connection, "PRAGMA user_version")
            let statement = try connection.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            while try statement.step() { tables.append(statement.text(0)) }
        } catch StoreError.sqlite(let code, _, _) where code & 0xff == SQLITE_NOTADB {
            throw StoreError.notADatabase(path: connection.path)
        }
        if tables.isEmpty && applicationID == 0 { return }
        guard applicationID == Int64(Schema.applicationID) else {
            throw StoreError.notAKnowledgeBase(path: connection.path, tables: tables)
        }
        if version > Int64(Schema.currentVersion) {
            throw StoreError.newerSchema(path: connection.path, found: Int(version), supported: Schema.currentVersion)
        }
    }

    // The version is read inside the write transaction, so two processes opening a new file at once migrate it once.
    private static func migrate(_ connection: SQLiteConnection) throws {
        guard Int(try scalar(connection, "PRAGMA user_version")) < Schema.currentVersion else { return }
        connection.resetStatements()
        try connection.transaction {
            let version = Int(try scalar(connection, "PRAGMA user_version"))
            connection.resetStatements()
            guard version < Schema.currentVersion else { return }
            for migration in Schema.migrations[version..<Schema.currentVersion] {
                try connection.execute(migration.sql)
                try migration.fill?(connection)
            }
            try connection.execute("PRAGMA application_id = \(Schema.applicationID)")
            try connection.execute("PRAGMA user_version = \(Schema.currentVersion)")
        }
    }

    static func scalar(_ connection: SQLiteConnection, _ sql: String, _ values: SQLiteValue...) throws -> Int64 {
        let statement = try connection.prepare(sql).bind(values)
        return try statement.step() ? statement.int(0) : 0
    }

    // MARK: meta

    /// The fingerprint of the vectors the index is built from, or nil for an empty knowledge base.
    public func fingerprint() throws -> EmbeddingFingerprint? {
        try withConnection { try Self.fingerprint($0) }
    }

    static func fingerprint(_ connection: SQLiteConnection) throws -> EmbeddingFingerprint? {
        let statement = try connection.prepare("SELECT value FROM meta WHERE key = 'fingerprint'")
        guard try statement.step() else { return nil }
        return try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(statement.text(0).utf8))
    }

    /// Runs `body` on one consistent snapshot of the committed store, on a connection of its own so this store's
    /// other calls go on meanwhile (an in-memory store has one connection, used under the lock).
    func withSnapshot<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        if path == ":memory:" { return try withConnection(body) }
        let reader = try SQLiteConnection(path: path, readOnly: true)
        try reader.execute("PRAGMA busy_timeout = 5000")
        try reader.execute("BEGIN")
        defer {
            reader.resetStatements()
            try? reader.execute("COMMIT")
        }
        return try body(reader)
    }

    /// Records the active fingerprint.
    public func setFingerprint(_ fingerprint: EmbeddingFingerprint) throws {
        let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
        try setMeta("fingerprint", json)
    }

    func meta(_ key: String) throws -> String? {
        try withConnection { connection in
            let statement = try connection.prepare("SELECT value FROM meta WHERE key = ?").bind(.text(key))
            return try statement.step() ? statement.text(0) : nil
        }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try writeTransaction { connection in
            try connection.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(.text(key), .text(value)).run()
        }
    }

    /// Copies the write-ahead log into the database file and truncates it (on shutdown).
    public func checkpoint() throws {
        guard path != ":memory:" else { return }
        try withConnection { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Number of vectors stored under `fingerprint`.
    public func vectorCount(_ fingerprint: EmbeddingFingerprint) throws -> Int {
        try withConnection { try Self.vectorCount($0, fingerprint) }
    }

    static func vectorCount(_ connection: SQLiteConnection, _ fingerprint: EmbeddingFingerprint) throws -> Int {
        Int(try scalar(connection, "SELECT count(*) FROM vectors WHERE fingerprint = ?", .text(fingerprint.key)))
    }

    /// Counts for `kb stats`.
    public func stats() throws -> StoreStats {
        let fingerprint = try fingerprint()
        return try withConnection { connection in
            let vectors = try fingerprint.map { try Self.vectorCount(connection, $0) } ?? 0
            let pages = try Self.scalar(connection, "PRAGMA page_count")
            let pageSize = try Self.scalar(connection, "PRAGMA page_size")
            return StoreStats(
                documents: Int(try Self.scalar(connection, "SELECT count(*) FROM documents")),
                chunks: Int(try Self.scalar(connection, "SELECT count(*) FROM chunks")),
                vectors: vectors,
                cachedEmbeddings: Int(try Self.scalar(connection, "SELECT count(*) FROM embedding_cache")),
                fileBytes: Int(pages * pageSize),
                fingerprint: fingerprint,
                schemaVersion: Int(try Self.scalar(connection, "PRAGMA user_version")))
        }
    }
}
