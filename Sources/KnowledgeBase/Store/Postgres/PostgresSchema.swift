/// The tables of a knowledge base in PostgreSQL (in a schema of their own, `kb` unless the URL names another) as
/// an ordered list of migrations; `kb_meta.schema_version` records how many have run.
///
/// Migrations run under a transaction-level advisory lock, so replicas starting together migrate once. The change
/// feed is written by triggers (no write path can bypass it), and every trigger first takes the feed lock, so the
/// feed's sequence numbers are handed out in commit order: a follower reading `seq > n` never skips a change that
/// commits late. The lock is held to the end of the writing transaction, which serialises writers; a document write
/// is a few milliseconds, and readers never wait for it.
///
/// Both locks are per schema (the two-key form: purpose, `hashtext(schema)`), so knowledge bases sharing a database
/// never wait for each other's writers or migrations.
enum PostgresSchema {
    /// First advisory lock key ("kb" + purpose); the second is `hashtext` of the schema name.
    static let migrationLock: Int32 = 0x6B62_0001
    static let feedLock: Int32 = 0x6B62_0002
    /// `NOTIFY` channel of the change feed (payload: the sequence), one per schema.
    static func channel(schema: String) -> String { "kb_changes_\(schema)" }

    /// Migration `n` brings the schema from version `n` to `n + 1`. Append only; never edit a shipped one.
    static let migrations: [String] = [
        """
        CREATE TABLE kb_meta (
            key text PRIMARY KEY,
            value text NOT NULL
        );

        CREATE TABLE documents (
            id bigserial PRIMARY KEY,
            source text NOT NULL,
            path text NOT NULL,
            title text NOT NULL,
            format text NOT NULL,
            sha256 text NOT NULL,
            size bigint NOT NULL,
            chunker text NOT NULL,
            metadata text NOT NULL DEFAULT '{}',
            created_at text NOT NULL,
            updated_at text NOT NULL,
            UNIQUE (source, path)
        );
        CREATE INDEX documents_by_path ON documents(path);

        -- `terms` is the keyword index: the chunk's context (path, heading path; weight A) and text (weight B),
        -- written with the chunk in the same statement.
        CREATE TABLE chunks (
            id bigserial PRIMARY KEY,
            document_id bigint NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal integer NOT NULL,
            heading text NOT NULL,
            text text NOT NULL,
            first_line integer NOT NULL,
            last_line integer NOT NULL,
            tokens integer NOT NULL,
            sha256 text NOT NULL,
            terms tsvector NOT NULL,
            UNIQUE (document_id, ordinal)
        );
        CREATE INDEX chunks_terms ON chunks USING gin (terms);

        CREATE TABLE vectors (
            chunk_id bigint NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            fingerprint text NOT NULL,
            vector bytea NOT NULL,
            PRIMARY KEY (chunk_id, fingerprint)
        );
        CREATE INDEX vectors_by_fingerprint ON vectors(fingerprint);

        CREATE TABLE embedding_cache (
            text_sha256 text NOT NULL,
            fingerprint text NOT NULL,
            vector bytea NOT NULL,
            PRIMARY KEY (text_sha256, fingerprint)
        );

        CREATE TABLE sources (
            name text PRIMARY KEY,
            root text NOT NULL,
            kind text NOT NULL,
            ref text,
            revision text,
            synced_at text
        );

        CREATE TABLE changes (
            seq bigserial PRIMARY KEY,
            kind text NOT NULL,
            document_id bigint,
            at_ms bigint NOT NULL
        );

        CREATE TABLE readers (
            id text PRIMARY KEY,
            seq bigint NOT NULL,
            seen_ms bigint NOT NULL
        );

        CREATE FUNCTION kb_now_ms() RETURNS bigint LANGUAGE sql SET search_path FROM CURRENT AS
            $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

        CREATE FUNCTION kb_record_change(change_kind text, document bigint) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        DECLARE
            sequence bigint;
        BEGIN
            PERFORM pg_advisory_xact_lock(\(feedLock));
            INSERT INTO changes(kind, document_id, at_ms) VALUES (change_kind, document, kb_now_ms())
                RETURNING seq INTO sequence;
            PERFORM pg_notify('kb_changes_' || current_schema(), sequence::text);
        END $$;

        CREATE FUNCTION kb_document_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM kb_record_change('added', NEW.id);
            ELSIF TG_OP = 'UPDATE' THEN
                PERFORM kb_record_change('replaced', NEW.id);
            ELSE
                PERFORM kb_record_change('removed', OLD.id);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER documents_changed AFTER INSERT OR UPDATE OR DELETE ON documents
            FOR EACH ROW EXECUTE FUNCTION kb_document_changed();

        CREATE FUNCTION kb_fingerprint_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
            IF NEW.key = 'fingerprint' AND (TG_OP = 'INSERT' OR NEW.value IS DISTINCT FROM OLD.value) THEN
                PERFORM kb_record_change('fingerprint', NULL);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER fingerprint_changed AFTER INSERT OR UPDATE ON kb_meta
            FOR EACH ROW EXECUTE FUNCTION kb_fingerprint_changed();
        """,
        // 2: the feed lock was one key for the whole database, so writers to different schemas waited for each other.
        """
        CREATE OR REPLACE FUNCTION kb_record_change(change_kind text, document bigint) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        DECLARE
            sequence bigint;
        BEGIN
            PERFORM pg_advisory_xact_lock(\(feedLock), hashtext(current_schema()));
            INSERT INTO changes(kind, document_id, at_ms) VALUES (change_kind, document, kb_now_ms())
                RETURNING seq INTO sequence;
            PERFORM pg_notify('kb_changes_' || current_schema(), sequence::text);
        END $$;
        """,
    ]

    /// `pg_locks` rows of schema `schema`'s lock `key`, for `WHERE` clauses (the schema as parameter `$1`).
    static func locks(_ key: Int32) -> String {
        "locktype = 'advisory' AND classid = \(key) AND objid = hashtext($1)::oid AND objsubid = 2"
    }

    static var currentVersion: Int { migrations.count }
}
