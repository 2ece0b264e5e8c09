import Foundation
import Synchronization

/// A knowledge base in PostgreSQL, shared by any number of `kb` processes (e.g. `kb serve` replicas behind a load
/// balancer), each holding its own in-memory index and following the change feed.
///
/// The tables live in one schema (`kb` unless the URL says `?schema=`). Calls block their thread on libpq, like the
/// SQLite store's; a small pool of connections lets several go on at once. TLS, passwords, `sslmode` and every other
/// libpq parameter come from the URL as libpq reads it.
public final class PostgresStore: KnowledgeStore, @unchecked Sendable {
    /// The URL with the password left out.
    public let location: String
    public let schema: String
    let pool: PostgresPool
    /// How many of the newest changes the feed keeps even when every reader has seen them.
    public let changeRetention: Int
    private let localCommits = Atomic<Int64>(0)
    let listener: PostgresListener

    /// Connects to the database at `url` (`postgres://user:password@host:port/database?sslmode=…&schema=…`) and runs
    /// pending migrations, creating the schema when `create` is true.
    ///
    /// - Throws: `StoreError.unavailable` when the server cannot be reached, `.notFound` without `create` when the
    ///   schema holds no knowledge base, `.notAKnowledgeBase` for a schema holding other tables, `.newerSchema`.
    public init(url: String, create: Bool = true, changeRetention: Int = 1000, connections: Int = 4) throws {
        let parsed = try PostgresURL(url)
        self.location = parsed.redacted
        self.schema = parsed.schema
        self.changeRetention = max(0, changeRetention)
        let setup = "SET search_path = \"\(parsed.schema)\""
        pool = PostgresPool(url: parsed.libpqURL, location: parsed.redacted, size: connections, setup: setup)
        listener = PostgresListener(pool: pool, channel: PostgresSchema.channel(schema: parsed.schema))
        try pool.withConnection { try migrate($0, create: create) }
    }

    deinit { listener.stop() }

    private func migrate(_ connection: PostgresConnection, create: Bool) throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock), hashtext($1))", [.text(schema)])
            let tables = try connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", [.text(schema)])
            let names = (0..<tables.rows).map { tables.text($0, 0) }
            var version = 0
            if names.contains("kb_meta") {
                let stored = try connection.query("SELECT value FROM kb_meta WHERE key = 'schema_version'")
                version = stored.rows > 0 ? Int(stored.text(0, 0)) ?? 0 : 0
            } else if !names.isEmpty {
                throw StoreError.notAKnowledgeBase(path: "\(location) schema \(schema)", tables: names)
            } else if !create {
                throw StoreError.notFound(path: "\(location) (schema \(schema))")
            }
            if version > PostgresSchema.currentVersion {
                throw StoreError.newerSchema(path: location, found: version, supported: PostgresSchema.currentVersion)
            }
            guard version < PostgresSchema.currentVersion else { return }
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
            for migration in PostgresSchema.migrations[version...] { try connection.execute(migration) }
            try connection.query("""
                INSERT INTO kb_meta(key, value) VALUES ('schema_version', $1)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, [.int(PostgresSchema.currentVersion)])
        }
    }

    /// Runs `body` on a connection of the pool.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.withConnection(body)
    }

    /// Runs `body` in one write transaction (the only way anything changes); the feed is pruned in it too.
    ///
    /// A transaction that lost a race with another writer (a unique key taken meanwhile, a deadlock, a serialisation
    /// failure) is run again from the start, up to three times: `body` only touches the database.
    func writeTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let result = try pool.withConnection { connection in
                    try connection.transaction {
                        let result = try body(connection)
                        try pruneChanges(connection)
                        return result
                    }
                }
                localCommits.add(1, ordering: .relaxed)
                return result
            } catch StoreError.postgres(let state, _, _) where attempt < 3 && ["23505", "40001", "40P01"].contains(state) {
                continue
            }
        }
    }

    /// Runs `body` on one consistent, read-only snapshot.
    func withSnapshot<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try pool.withConnection { connection in
            try connection.transaction(isolation: "REPEATABLE READ READ ONLY") { try body(connection) }
        }
    }

    static func scalar(_ connection: PostgresConnection, _ sql: String, _ values: [PostgresValue] = []) throws -> Int64 {
        let result = try connection.query(sql, values)
        return result.rows > 0 ? result.int(0, 0) : 0
    }

    // MARK: meta

    public func fingerprint() throws -> EmbeddingFingerprint? {
        try withConnection { try Self.fingerprint($0) }
    }

    static func fingerprint(_ connection: PostgresConnection) throws -> EmbeddingFingerprint? {
        let result = try connection.query("SELECT value FROM kb_meta WHERE key = 'fingerprint'")
        guard result.rows > 0 else { return nil }
        return try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(result.text(0, 0).utf8))
    }

    public func vectorCount(_ fingerprint: EmbeddingFingerprint) throws -> Int {
        try withConnection { Int(try Self.scalar($0, "SELECT count(*) FROM vectors WHERE fingerprint = $1",
                                                 [.text(fingerprint.key)])) }
    }

    public func stats() throws -> StoreStats {
        try withConnection { connection in
            let fingerprint = try Self.fingerprint(connection)
            let vectors = try fingerprint.map {
                Int(try Self.scalar(connection, "SELECT count(*) FROM vectors WHERE fingerprint = $1", [.text($0.key)]))
            } ?? 0
            let version = try connection.query("SELECT value FROM kb_meta WHERE key = 'schema_version'")
            return StoreStats(
                documents: Int(try Self.scalar(connection, "SELECT count(*) FROM documents")),
                chunks: Int(try Self.scalar(connection, "SELECT count(*) FROM chunks")),
                vectors: vectors,
                cachedEmbeddings: Int(try Self.scalar(connection, "SELECT count(*) FROM embedding_cache")),
                fileBytes: Int(try Self.scalar(connection, """
                    SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0)::bigint
                    FROM pg_tables WHERE schemaname = $1
                    """, [.text(schema)])),
                fingerprint: fingerprint,
                schemaVersion: version.rows > 0 ? Int(version.text(0, 0)) ?? 0 : 0)
        }
    }

    public func checkpoint() throws {}

    // MARK: the index

    public func loadIndex(precision: IndexPrecision) throws -> LoadedIndex {
        try withSnapshot { connection in
            let sequence = try Self.latestSequence(connection)
            guard let fingerprint = try Self.fingerprint(connection) else {
                return LoadedIndex(index: nil, fingerprint: nil, sequence: sequence)
            }
            let count = try Self.scalar(connection, "SELECT count(*) FROM vectors WHERE fingerprint = $1",
                                        [.text(fingerprint.key)])
            let documents = try connection.query("SELECT id, path FROM documents")
            var paths: [Int64: String] = [:]
            for row in 0..<documents.rows { paths[documents.int(row, 0)] = documents.text(row, 1) }
            // A cursor, so the rows come in batches instead of one result holding every vector.
            try connection.query("""
                DECLARE index_rows NO SCROLL CURSOR FOR
                SELECT v.chunk_id, c.document_id, v.vector FROM vectors v JOIN chunks c ON c.id = v.chunk_id
                WHERE v.fingerprint = $1
                """, [.text(fingerprint.key)])
            let index = try VectorIndex.load(dimension: fingerprint.dimension, reservingRows: Int(count),
                                             precision: precision, documentPaths: paths) { append in
                while true {
                    let batch = try connection.query("FETCH 4096 FROM index_rows", binary: true)
                    guard batch.rows > 0 else { break }
                    for row in 0..<batch.rows {
                        let chunkID = batch.int(row, 0)
                        try batch.withBytes(row, 2) { try append(chunkID, batch.int(row, 1), $0) }
                    }
                }
            }
            try connection.execute("CLOSE index_rows")
            return LoadedIndex(index: index, fingerprint: fingerprint, sequence: sequence)
        }
    }

    var localCommitCount: Int64 { localCommits.load(ordering: .relaxed) }
    var notificationCount: Int64 { listener.count }
}

/// A `postgres://` URL split into what libpq reads and what kb reads itself (`schema`), with the password hidden
/// for messages.
struct PostgresURL {
    var libpqURL: String
    var schema: String
    var redacted: String

    init(_ text: String) throws {
        guard var components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else {
            throw StoreError.invalidInput("\"\(Self.hidePassword(text))\" is not a PostgreSQL URL; use "
                + "postgres://user:password@host:5432/database (add ?sslmode=require for TLS).")
        }
        var shown = components
        if shown.password != nil { shown.password = "***" }
        self.redacted = shown.string ?? Self.hidePassword(text)
        var items = components.queryItems ?? []
        let schema = items.first(where: { $0.name == "schema" })?.value ?? "kb"
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw StoreError.invalidInput("schema \"\(schema)\" in the PostgreSQL URL must be a lower-case name of "
                + "letters, digits and _ (up to 63), e.g. ?schema=kb")
        }
        items.removeAll { $0.name == "schema" }
        // Names kb's sessions in pg_stat_activity unless the URL names them itself.
        if !items.contains(where: { $0.name == "application_name" }) {
            items.append(URLQueryItem(name: "application_name", value: "kb"))
        }
        components.queryItems = items.isEmpty ? nil : items
        self.schema = schema
        self.libpqURL = components.string ?? text
    }

    private static func hidePassword(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@]*:)[^@]*@"#, with: "$1***@", options: .regularExpression)
    }
}
