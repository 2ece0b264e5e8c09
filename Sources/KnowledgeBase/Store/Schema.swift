/// The database schema as an ordered list of migrations; `user_version` records how many have run.
enum Schema {
    /// Marks a file as a kb knowledge base (`PRAGMA application_id`, "KB" + 1).
    static let applicationID: Int32 = 0x4B42_0001

    /// One step of the schema: SQL, then optional Swift work in the same transaction (filling a new table).
    struct Migration: Sendable {
        var sql: String
        var fill: (@Sendable (SQLiteConnection) throws -> Void)?
    }

    /// Migration `n` brings the schema from version `n` to `n + 1`. Append only; never edit a shipped one.
    static let migrations: [Migration] = [
        Migration(sql: """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            path TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            chunker TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            heading TEXT NOT NULL,
            text TEXT NOT NULL,
            first_line INTEGER NOT NULL,
            last_line INTEGER NOT NULL,
            tokens INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            UNIQUE (document_id, ordinal)
        );

        CREATE TABLE vectors (
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (chunk_id, fingerprint)
        ) WITHOUT ROWID;

        CREATE INDEX vectors_by_fingerprint ON vectors(fingerprint);

        CREATE TABLE embedding_cache (
            text_sha256 TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (text_sha256, fingerprint)
        ) WITHOUT ROWID;
        """),
        // 2: full-text index over each chunk's context (path and heading path) and text, for keyword and hybrid
        // search. Rows are written with the chunks (in the same transaction) and deleted by the trigger, which
        // also covers the cascade when a document is deleted.
        Migration(sql: """
        CREATE VIRTUAL TABLE chunks_fts USING fts5(context, text, tokenize = 'unicode61 remove_diacritics 2');

        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            DELETE FROM chunks_fts WHERE rowid = old.id;
        END;
        """, fill: { connection in try FullText.indexAllChunks(connection) }),
    ]

    static var currentVersion: Int { migrations.count }
}
