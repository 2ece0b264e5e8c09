import Foundation

extension PostgresStore {
    private static let documentColumns = """
        d.id, d.path, d.title, d.format, d.sha256, d.size, d.chunker, d.metadata, d.created_at, d.updated_at,
        (SELECT count(*) FROM chunks c WHERE c.document_id = d.id), d.source
        """

    private static func readDocuments(_ result: PostgresResult) -> [DocumentRecord] {
        (0..<result.rows).map { row in
            DocumentRecord(
                id: result.int(row, 0), path: result.text(row, 1), title: result.text(row, 2),
                format: DocumentFormat(rawValue: result.text(row, 3)) ?? .markdown, sha256: result.text(row, 4),
                size: Int(result.int(row, 5)), chunker: result.text(row, 6), metadata: result.text(row, 7),
                createdAt: result.text(row, 8), updatedAt: result.text(row, 9), chunkCount: Int(result.int(row, 10)),
                source: result.text(row, 11))
        }
    }

    public func document(path: String, source: String?) throws -> DocumentRecord? {
        try withConnection { connection in
            if let source {
                return Self.readDocuments(try connection.query(
                    "SELECT \(Self.documentColumns) FROM documents d WHERE d.source = $1 AND d.path = $2",
                    [.text(source), .text(path)])).first
            }
            return Self.readDocuments(try connection.query(
                "SELECT \(Self.documentColumns) FROM documents d WHERE d.path = $1 ORDER BY d.source LIMIT 1",
                [.text(path)])).first
        }
    }

    public func documents(path: String) throws -> [DocumentRecord] {
        try withConnection { connection in
            Self.readDocuments(try connection.query(
                "SELECT \(Self.documentColumns) FROM documents d WHERE d.path = $1 ORDER BY d.source", [.text(path)]))
        }
    }

    public func document(id: Int64) throws -> DocumentRecord? {
        try withConnection { connection in
            Self.readDocuments(try connection.query(
                "SELECT \(Self.documentColumns) FROM documents d WHERE d.id = $1", [.integer(id)])).first
        }
    }

    public func documents(limit: Int, offset: Int, source: String?) throws -> [DocumentRecord] {
        try withConnection { connection in
            // Paths sort by code point, as in SQLite, whatever the database's collation.
            Self.readDocuments(try connection.query("""
                SELECT \(Self.documentColumns) FROM documents d WHERE ($1::text IS NULL OR d.source = $1)
                ORDER BY d.path COLLATE "C", d.source COLLATE "C" LIMIT $2 OFFSET $3
                """, [source.map { .text($0) } ?? .null, .int(limit), .int(offset)]))
        }
    }

    public func documentCount(source: String?) throws -> Int {
        try withConnection { connection in
            Int(try Self.scalar(connection, "SELECT count(*) FROM documents WHERE $1::text IS NULL OR source = $1",
                                [source.map { .text($0) } ?? .null]))
        }
    }

    private static let chunkColumns = """
        c.id, c.document_id, d.path, c.ordinal, c.heading, c.text, c.first_line, c.last_line, c.tokens, c.sha256
        """

    private static func readChunks(_ result: PostgresResult) -> [ChunkRecord] {
        (0..<result.rows).map { row in
            ChunkRecord(id: result.int(row, 0), documentID: result.int(row, 1), path: result.text(row, 2),
                        ordinal: Int(result.int(row, 3)), heading: result.text(row, 4), text: result.text(row, 5),
                        firstLine: Int(result.int(row, 6)), lastLine: Int(result.int(row, 7)),
                        tokens: Int(result.int(row, 8)), sha256: result.text(row, 9))
        }
    }

    public func chunks(documentID: Int64) throws -> [ChunkRecord] {
        try withConnection { connection in
            Self.readChunks(try connection.query("""
                SELECT \(Self.chunkColumns) FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.document_id = $1 ORDER BY c.ordinal
                """, [.integer(documentID)]))
        }
    }

    public func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord] {
        guard !ids.isEmpty else { return [:] }
        return try withConnection { connection in
            let chunks = Self.readChunks(try connection.query("""
                SELECT \(Self.chunkColumns) FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.id = ANY($1::bigint[])
                """, [.integers(ids)]))
            return Dictionary(chunks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    public func cachedVectors(hashes: [String], fingerprintKey: String) throws -> [String: [Float]] {
        guard !hashes.isEmpty else { return [:] }
        return try withConnection { connection in
            let rows = try connection.query("""
                SELECT text_sha256, vector FROM embedding_cache
                WHERE fingerprint = $1 AND text_sha256 = ANY(string_to_array($2, ','))
                """, [.text(fingerprintKey), .text(Set(hashes).joined(separator: ","))], binary: true)
            var found: [String: [Float]] = [:]
            for row in 0..<rows.rows { found[rows.text(row, 0)] = rows.floats(row, 1) }
            return found
        }
    }

    public func write(_ document: DocumentWrite, fingerprint: EmbeddingFingerprint) throws -> WrittenDocument {
        guard document.vectors.count == document.chunks.count else {
            throw StoreError.invalidInput("\(document.path): \(document.chunks.count) chunks but "
                + "\(document.vectors.count) vectors")
        }
        for (chunk, vector) in zip(document.chunks, document.vectors) {
            guard vector.count == fingerprint.dimension, vector.allSatisfy(\.isFinite) else {
                throw IndexError.dimensionMismatch(expected: fingerprint.dimension, got: vector.count,
                                                   what: "vector of \(document.path) chunk \(chunk.ordinal)")
            }
        }
        let now = ISO8601DateFormatter().string(from: Date())
        let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
        return try writeTransaction { connection in
            // Checked inside the write transaction, under a row lock: another process may switch it meanwhile.
            let active = try connection.query("SELECT value FROM kb_meta WHERE key = 'fingerprint' FOR SHARE")
            if active.rows > 0 {
                let stored = try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(active.text(0, 0).utf8))
                if stored.key != fingerprint.key {
                    throw QueryError.embedderMismatch(index: stored, requested: fingerprint)
                }
            } else {
                try connection.query(
                    "INSERT INTO kb_meta(key, value) VALUES ('fingerprint', $1) ON CONFLICT (key) DO NOTHING",
                    [.text(json)])
                let stored = try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(
                    try connection.query("SELECT value FROM kb_meta WHERE key = 'fingerprint'").text(0, 0).utf8))
                if stored.key != fingerprint.key {
                    throw QueryError.embedderMismatch(index: stored, requested: fingerprint)
                }
            }
            let existing = try connection.query("SELECT id FROM documents WHERE source = $1 AND path = $2 FOR UPDATE",
                                                [.text(document.source), .text(document.path)])
            let id: Int64
            let status: WriteStatus
            if existing.rows > 0 {
                id = existing.int(0, 0)
                status = .replaced
                try connection.query("DELETE FROM chunks WHERE document_id = $1", [.integer(id)])
            } else {
                status = .created
                // Inserted first (the chunks refer to it); the feed records it when the transaction commits.
                id = try Self.scalar(connection, """
                    INSERT INTO documents(source, path, title, format, sha256, size, chunker, metadata, created_at,
                    updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                    """, [.text(document.source), .text(document.path), .text(document.title),
                          .text(document.format.rawValue), .text(document.sha256), .int(document.size),
                          .text(document.chunker), .text(document.metadata), .text(document.createdAt ?? now),
                          .text(document.updatedAt ?? now)])
            }
            var rows: [(chunkID: Int64, vector: [Float])] = []
            for (chunk, vector) in zip(document.chunks, document.vectors) {
                let hash = SHA256.hex(EmbeddingText.make(path: document.path, heading: chunk.heading, text: chunk.text))
                let chunkID = try Self.scalar(connection, """
                    INSERT INTO chunks(document_id, ordinal, heading, text, first_line, last_line, tokens, sha256, terms)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                            setweight(to_tsvector('simple', $9), 'A') || setweight(to_tsvector('simple', $10), 'B'))
                    RETURNING id
                    """, [.integer(id), .int(chunk.ordinal), .text(chunk.heading), .text(chunk.text),
                          .int(chunk.firstLine), .int(chunk.lastLine), .int(chunk.tokens), .text(hash),
                          .text(PostgresText.words(FullText.context(path: document.path, heading: chunk.heading))),
                          .text(PostgresText.words(chunk.text))])
                try connection.query("INSERT INTO vectors(chunk_id, fingerprint, vector) VALUES ($1, $2, $3)",
                                     [.integer(chunkID), .text(fingerprint.key), .floats(vector)])
                try connection.query("""
                    INSERT INTO embedding_cache(text_sha256, fingerprint, vector) VALUES ($1, $2, $3)
                    ON CONFLICT DO NOTHING
                    """, [.text(hash), .text(fingerprint.key), .floats(vector)])
                rows.append((chunkID, vector))
            }
            if status == .replaced {
                // Last, so a writer holds the feed lock (taken by the trigger) only for the commit.
                try connection.query("""
                    UPDATE documents SET title = $1, format = $2, sha256 = $3, size = $4, chunker = $5, metadata = $6,
                    updated_at = $7 WHERE id = $8
                    """, [.text(document.title), .text(document.format.rawValue), .text(document.sha256),
                          .int(document.size), .text(document.chunker), .text(document.metadata),
                          .text(document.updatedAt ?? now), .integer(id)])
            }
            return WrittenDocument(id: id, status: status, rows: rows)
        }
    }

    public func removeDocument(id: Int64) throws -> Bool {
        try writeTransaction { connection in
            try connection.query("DELETE FROM documents WHERE id = $1", [.integer(id)]).affectedRows > 0
        }
    }

    public func documentIDs(matching filters: [MetadataFilter]) throws -> Set<Int64> {
        guard let first = filters.first else { return [] }
        return try withConnection { connection in
            // Only documents that have the first key are parsed; the rest of the test is done here, as in SQLite.
            let rows = try connection.query("""
                SELECT id, metadata FROM documents
                WHERE metadata LIKE '{%' AND jsonb_typeof(metadata::jsonb) = 'object' AND metadata::jsonb ? $1
                """, [.text(first.key)])
            var ids = Set<Int64>()
            for row in 0..<rows.rows {
                let metadata = FrontMatter.parseJSON(rows.text(row, 1))
                if filters.allSatisfy({ metadata[$0.key]?.matches($0.value) == true }) { ids.insert(rows.int(row, 0)) }
            }
            return ids
        }
    }

    public func documentLabels(ids: Set<Int64>) throws -> [Int64: (source: String, metadata: String)] {
        guard !ids.isEmpty else { return [:] }
        return try withConnection { connection in
            let rows = try connection.query("SELECT id, source, metadata FROM documents WHERE id = ANY($1::bigint[])",
                                            [.integers(Array(ids))])
            var labels: [Int64: (source: String, metadata: String)] = [:]
            for row in 0..<rows.rows { labels[rows.int(row, 0)] = (rows.text(row, 1), rows.text(row, 2)) }
            return labels
        }
    }

    public func forEachCachedVector(_ body: (String, String, [Float]) throws -> Void) throws {
        try withSnapshot { connection in
            try connection.query("""
                DECLARE cache_rows NO SCROLL CURSOR FOR
                SELECT text_sha256, fingerprint, vector FROM embedding_cache ORDER BY text_sha256 COLLATE "C", fingerprint COLLATE "C"
                """)
            while true {
                let batch = try connection.query("FETCH 4096 FROM cache_rows", binary: true)
                guard batch.rows > 0 else { break }
                for row in 0..<batch.rows { try body(batch.text(row, 0), batch.text(row, 1), batch.floats(row, 2)) }
            }
        }
    }

    public func storeCachedVectors(_ entries: [(hash: String, fingerprintKey: String, vector: [Float])]) throws {
        try writeTransaction { connection in
            for entry in entries {
                try connection.query("""
                    INSERT INTO embedding_cache(text_sha256, fingerprint, vector) VALUES ($1, $2, $3)
                    ON CONFLICT DO NOTHING
                    """, [.text(entry.hash), .text(entry.fingerprintKey), .floats(entry.vector)])
            }
        }
    }
}
