import Foundation

extension PostgresStore {
    public func chunksWithoutVector(fingerprintKey: String) throws -> [ChunkToEmbed] {
        try withConnection { connection in
            let rows = try connection.query("""
                SELECT c.id, d.path, c.heading, c.text, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.fingerprint = $1)
                ORDER BY d.path COLLATE "C", c.ordinal
                """, [.text(fingerprintKey)])
            return (0..<rows.rows).map { row in
                let (path, heading) = (rows.text(row, 1), rows.text(row, 2))
                return ChunkToEmbed(
                    chunkID: rows.int(row, 0), label: "\(path) › \(heading) (chunk \(rows.int(row, 4) + 1))",
                    embeddingText: EmbeddingText.make(path: path, heading: heading, text: rows.text(row, 3)))
            }
        }
    }

    public func storeVectors(_ vectors: [(chunk: ChunkToEmbed, vector: [Float])], fingerprintKey: String) throws {
        try writeTransaction { connection in
            for (chunk, vector) in vectors {
                // Chunks deleted meanwhile are skipped.
                try connection.query("""
                    INSERT INTO vectors(chunk_id, fingerprint, vector) SELECT id, $1, $2 FROM chunks WHERE id = $3
                    ON CONFLICT (chunk_id, fingerprint) DO UPDATE SET vector = excluded.vector
                    """, [.text(fingerprintKey), .floats(vector), .integer(chunk.chunkID)])
                try connection.query("""
                    INSERT INTO embedding_cache(text_sha256, fingerprint, vector) VALUES ($1, $2, $3)
                    ON CONFLICT DO NOTHING
                    """, [.text(SHA256.hex(chunk.embeddingText)), .text(fingerprintKey), .floats(vector)])
            }
            // Vectors of the active fingerprint are what indexes hold: their documents go on the feed.
            if try Self.fingerprint(connection)?.key == fingerprintKey {
                try connection.query("""
                    SELECT kb_record_change('replaced', document_id)
                    FROM (SELECT DISTINCT document_id FROM chunks WHERE id = ANY($1::bigint[])) changed
                    """, [.integers(vectors.map(\.chunk.chunkID))])
            }
        }
    }

    public func switchFingerprint(to fingerprint: EmbeddingFingerprint) throws {
        let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
        try writeTransaction { connection in
            let missing = try Self.scalar(connection, """
                SELECT count(*) FROM chunks c WHERE NOT EXISTS
                (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.fingerprint = $1)
                """, [.text(fingerprint.key)])
            guard missing == 0 else {
                throw StoreError.invalidInput("\(missing) chunks have no vector for \(fingerprint) yet (documents "
                    + "changed during the reindex?); run `kb reindex` again to finish.")
            }
            try connection.query("""
                INSERT INTO kb_meta(key, value) VALUES ('fingerprint', $1)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, [.text(json)])
            try connection.query("DELETE FROM vectors WHERE fingerprint <> $1", [.text(fingerprint.key)])
        }
    }

    public func sources() throws -> [SourceRecord] {
        try withConnection { connection in
            let rows = try connection.query("""
                SELECT s.name, s.root, s.kind, s.ref, s.revision, s.synced_at,
                       (SELECT count(*) FROM documents d WHERE d.source = s.name)
                FROM sources s ORDER BY s.name COLLATE "C"
                """)
            return (0..<rows.rows).map { row in
                SourceRecord(name: rows.text(row, 0), root: rows.text(row, 1), kind: rows.text(row, 2),
                             ref: rows.optionalText(row, 3), revision: rows.optionalText(row, 4),
                             syncedAt: rows.optionalText(row, 5), documents: Int(rows.int(row, 6)))
            }
        }
    }

    public func claimSource(name: String, root: String, kind: String) throws {
        try writeTransaction { connection in
            // The table lock makes two first syncs of one name (or of overlapping folders) wait for each other.
            try connection.execute("LOCK TABLE sources IN SHARE ROW EXCLUSIVE MODE")
            let rows = try connection.query("SELECT name, root FROM sources")
            var found = false
            for row in 0..<rows.rows {
                let (other, otherRoot) = (rows.text(row, 0), rows.text(row, 1))
                if other == name {
                    guard otherRoot == root else { throw SyncError.sourceMoved(name: name, stored: otherRoot, given: root) }
                    found = true
                } else if Syncer.contains(otherRoot, root) || Syncer.contains(root, otherRoot) {
                    throw SyncError.overlappingSource(name: name, root: root, other: other, otherRoot: otherRoot)
                }
            }
            if !found {
                try connection.query("INSERT INTO sources(name, root, kind) VALUES ($1, $2, $3)",
                                     [.text(name), .text(root), .text(kind)])
            }
        }
    }

    public func recordSource(name: String, root: String, kind: String, ref: String?, revision: String?) throws {
        let now = ISO8601DateFormatter().string(from: Date())
        try writeTransaction { connection in
            try connection.query("""
                INSERT INTO sources(name, root, kind, ref, revision, synced_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (name) DO UPDATE SET root = excluded.root, kind = excluded.kind, ref = excluded.ref,
                    revision = excluded.revision, synced_at = excluded.synced_at
                """, [.text(name), .text(root), .text(kind), ref.map { .text($0) } ?? .null,
                      revision.map { .text($0) } ?? .null, .text(now)])
        }
    }
}
