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
        // 4: documents belong to a source (a synced folder or git tree, `ingest` for `kb ingest`, `api` for HTTP
        // uploads) and a path is unique within its source. Every change to a document or to the active fingerprint
        // appends to `changes` through triggers, so no write can bypass the feed that running processes follow.
        // `readers` records how far each following process has got, so the feed is pruned behind the slowest.
        // Runs with foreign keys off (SQLite's documented way to rebuild a table others refer to).
        Migration(sql: """
        CREATE TABLE documents_v4 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            title TEXT NOT NULL,
            format TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            chunker TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (source, path)
        );
        INSERT INTO documents_v4(id, source, path, title, format, sha256, size, chunker, metadata, created_at, updated_at)
            SELECT id, 'ingest', path, title, format, sha256, size, chunker, metadata, created_at, updated_at
            FROM documents;
        -- Keep the id counter, so ids of documents deleted before the upgrade are never handed out again.
        UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'documents'), 0))
            WHERE name = 'documents_v4';
        INSERT INTO sqlite_sequence(name, seq)
            SELECT 'documents_v4', seq FROM sqlite_sequence WHERE name = 'documents'
            AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'documents_v4');
        DROP TABLE documents;
        ALTER TABLE documents_v4 RENAME TO documents;
        CREATE INDEX documents_by_path ON documents(path);

        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            root TEXT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT,
            revision TEXT,
            synced_at TEXT
        ) WITHOUT ROWID;

        CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            document_id INTEGER,
            at_ms INTEGER NOT NULL
        );

        CREATE TABLE readers (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            seen_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TRIGGER documents_added AFTER INSERT ON documents BEGIN
            INSERT INTO changes(kind, document_id, at_ms) VALUES ('added', new.id, \(nowMilliseconds));
        END;
        CREATE TRIGGER documents_replaced AFTER UPDATE ON documents BEGIN
            INSERT INTO changes(kind, document_id, at_ms) VALUES ('replaced', new.id, \(nowMilliseconds));
        END;
        CREATE TRIGGER documents_removed AFTER DELETE ON documents BEGIN
            INSERT INTO changes(kind, document_id, at_ms) VALUES ('removed', old.id, \(nowMilliseconds));
        END;
        CREATE TRIGGER fingerprint_set AFTER INSERT ON meta WHEN new.key = 'fingerprint' BEGIN
            INSERT INTO changes(kind, document_id, at_ms) VALUES ('fingerprint', NULL, \(nowMilliseconds));
        END;
        CREATE TRIGGER fingerprint_changed AFTER UPDATE ON meta WHEN new.key = 'fingerprint' AND new.value IS NOT old.value
        BEGIN
            INSERT INTO changes(kind, document_id, at_ms) VALUES ('fingerprint', NULL, \(nowMilliseconds));
        END;
        """),
    ]

    static var currentVersion: Int { migrations.count }

    /// Milliseconds since 1970 in SQL, for the feed's commit times (`julianday('now')` has millisecond precision).
    static let nowMilliseconds = "CAST(round((julianday('now') - 2440587.5) * 86400000) AS INTEGER)"
}
