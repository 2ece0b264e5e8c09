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
        // 3: vectors and cached embeddings move into rowid tables. In the WITHOUT ROWID tables of version 1 a
        // 1,536-byte vector exceeded what an index b-tree keeps on its page, so every row spilled into an overflow
        // page of its own (three quarters empty) and a scan hopped between pages: loading 100k vectors read 470 MB.
        // A rowid table keeps each vector in line, so loading the index is one sequential scan of the table.
        Migration(sql: """
        CREATE TABLE vectors_v3 (
            id INTEGER PRIMARY KEY,
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            fingerprint TEXT NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (chunk_id, fingerprint)
        );
        INSERT INTO vectors_v3(chunk_id, fingerprint, vector)
            SELECT chunk_id, fingerprint, vector FROM vectors ORDER BY chunk_id;
        DROP TABLE vectors;
        ALTER TABLE vectors_v3 RENAME TO vectors;
        CREATE INDEX vectors_by_fingerprint ON vectors(fingerprint);

        CREATE TABLE embedding_cache_v3 (
            id INTEGER PRIMARY KEY,
            text_sha256 TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (text_sha256, fingerprint)
        );
        INSERT INTO embedding_cache_v3(text_sha256, fingerprint, vector)
            SELECT text_sha256, fingerprint, vector FROM embedding_cache;
        DROP TABLE embedding_cache;
        ALTER TABLE embedding_cache_v3 RENAME TO embedding_cache;
        """),
    ]

    static var currentVersion: Int { migrations.count }
}
