import Foundation

/// What writing a document did.
public enum WriteStatus: String, Sendable, Codable {
    case created, replaced, unchanged
}

/// A document after it was written: its id, status and the rows for the in-memory index.
public struct WrittenDocument: Sendable {
    public var id: Int64
    public var status: WriteStatus
    public var rows: [(chunkID: Int64, vector: [Float])]
}

extension SQLiteStore {
    private static let documentColumns = """
        d.id, d.path, d.title, d.format, d.sha256, d.size, d.chunker, d.metadata, d.created_at, d.updated_at,
        (SELECT count(*) FROM chunks c WHERE c.document_id = d.id), d.source
        """

    private static func readDocument(_ statement: SQLiteStatement) -> DocumentRecord {
        DocumentRecord(
            id: statement.int(0), path: statement.text(1), title: statement.text(2),
            format: DocumentFormat(rawValue: statement.text(3)) ?? .markdown, sha256: statement.text(4),
            size: Int(statement.int(5)), chunker: statement.text(6), metadata: statement.text(7),
            createdAt: statement.text(8), updatedAt: statement.text(9), chunkCount: Int(statement.int(10)),
            source: statement.text(11))
    }

    /// The document stored under `path` in `source`; with no source, the one document at that path in any source
    /// (the first by source name when several sources hold the path).
    public func document(path: String, source: String?) throws -> DocumentRecord? {
        try withReader { connection in
            let statement: SQLiteStatement
            if let source {
                statement = try connection.prepare(
                    "SELECT \(Self.documentColumns) FROM documents d WHERE d.source = ? AND d.path = ?")
                    .bind(.text(source), .text(path))
            } else {
                statement = try connection.prepare(
                    "SELECT \(Self.documentColumns) FROM documents d WHERE d.path = ? ORDER BY d.source LIMIT 1")
                    .bind(.text(path))
            }
            return try statement.step() ? Self.readDocument(statement) : nil
        }
    }

    /// Every document stored under `path`, one per source that holds it.
    public func documents(path: String) throws -> [DocumentRecord] {
        try withReader { connection in
            let statement = try connection.prepare(
                "SELECT \(Self.documentColumns) FROM documents d WHERE d.path = ? ORDER BY d.source").bind(.text(path))
            var documents: [DocumentRecord] = []
            while try statement.step() { documents.append(Self.readDocument(statement)) }
            return documents
        }
    }

    /// The document with `id`, if any.
    public func document(id: Int64) throws -> DocumentRecord? {
        try withReader { connection in
            let statement = try connection.prepare("SELECT \(Self.documentColumns) FROM documents d WHERE d.id = ?")
                .bind(.integer(id))
            return try statement.step() ? Self.readDocument(statement) : nil
        }
    }

    /// Documents ordered by path (then source), a page at a time; only those of `source` when it is given.
    public func documents(limit: Int, offset: Int, source: String?) throws
        -> [DocumentRecord]
    {
        try withReader { connection in
            let statement = try connection.prepare("""
                SELECT \(Self.documentColumns) FROM documents d WHERE (?1 IS NULL OR d.source = ?1)
                ORDER BY d.path, d.source LIMIT ?2 OFFSET ?3
                """).bind(source.map { .text($0) } ?? .null, .int(limit), .int(offset))
            var documents: [DocumentRecord] = []
            while try statement.step() { documents.append(Self.readDocument(statement)) }
            return documents
        }
    }

    /// Number of documents, or of those in `source`.
    public func documentCount(source: String?) throws -> Int {
        try withReader { connection in
            Int(try Self.scalar(connection, "SELECT count(*) FROM documents WHERE ?1 IS NULL OR source = ?1",
                                source.map { .text($0) } ?? .null))
        }
    }

    private static let chunkColumns = """
        c.id, c.document_id, d.path, c.ordinal, c.heading, c.text, c.first_line, c.last_line, c.tokens, c.sha256
        """

    private static func readChunk(_ statement: SQLiteStatement) -> ChunkRecord {
        ChunkRecord(id: statement.int(0), documentID: statement.int(1), path: statement.text(2),
                    ordinal: Int(statement.int(3)), heading: statement.text(4), text: statement.text(5),
                    firstLine: Int(statement.int(6)), lastLine: Int(statement.int(7)), tokens: Int(statement.int(8)),
                    sha256: statement.text(9))
    }

    /// The chunks of a document in order.
    public func chunks(documentID: Int64) throws -> [ChunkRecord] {
        try withReader { connection in
            let statement = try connection.prepare("""
                SELECT \(Self.chunkColumns) FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.document_id = ? ORDER BY c.ordinal
                """).bind(.integer(documentID))
            var chunks: [ChunkRecord] = []
            while try statement.step() { chunks.append(Self.readChunk(statement)) }
            return chunks
        }
    }

    /// The chunks with the given ids; ids not found are left out.
    public func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord] {
        try withReader { connection in
            let statement = try connection.prepare("""
                SELECT \(Self.chunkColumns) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?
                """)
            var found: [Int64: ChunkRecord] = [:]
            for id in ids {
                statement.reset()
                try statement.bind(.integer(id))
                if try statement.step() { found[id] = Self.readChunk(statement) }
            }
            return found
        }
    }

    /// Cached vectors for embedded-text hashes under `fingerprintKey`.
    public func cachedVectors(hashes: [String], fingerprintKey: String) throws -> [String: [Float]] {
        try withReader { connection in
            let statement = try connection.prepare(
                "SELECT vector FROM embedding_cache WHERE text_sha256 = ? AND fingerprint = ?")
            var found: [String: [Float]] = [:]
            for hash in Set(hashes) {
                statement.reset()
                try statement.bind(.text(hash), .text(fingerprintKey))
                if try statement.step() {
                    found[hash] = statement.withBlob(0) { Array($0.bindMemory(to: Float.self)) }
                }
            }
            return found
        }
    }

    /// Writes a document, its chunks and vectors in one transaction, replacing any earlier version at its path.
    ///
    /// The first write to an empty knowledge base records `fingerprint`; a write with another fingerprint is
    /// refused. On any error nothing is changed.
    public func write(_ document: DocumentWrite, fingerprint: EmbeddingFingerprint) throws -> WrittenDocument {
        guard document.vectors.count == document.chunks.count else {
            throw StoreError.invalidInput("\(document.path): \(document.chunks.count) chunks but "
                + "\(document.vectors.count) vectors")
        }
        let now = ISO8601DateFormatter().string(from: Date())
        return try writeTransaction { connection in
            // Checked inside the write transaction: another process may have switched the fingerprint since.
            let active = try connection.prepare("SELECT value FROM meta WHERE key = 'fingerprint'")
            if try active.step() {
                let stored = try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(active.text(0).utf8))
                if stored.key != fingerprint.key {
                    throw QueryError.embedderMismatch(index: stored, requested: fingerprint)
                }
            } else {
                let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
                try connection.prepare("INSERT INTO meta(key, value) VALUES ('fingerprint', ?)").bind(.text(json)).run()
            }
            let existing = try connection.prepare("SELECT id FROM documents WHERE source = ? AND path = ?")
                .bind(.text(document.source), .text(document.path))
            let id: Int64
            let status: WriteStatus
            if try existing.step() {
                id = existing.int(0)
                status = .replaced
                try connection.prepare("DELETE FROM chunks WHERE document_id = ?").bind(.integer(id)).run()
                try connection.prepare("""
                    UPDATE documents SET title = ?, format = ?, sha256 = ?, size = ?, chunker = ?, metadata = ?,
                    updated_at = ? WHERE id = ?
                    """).bind(.text(document.title), .text(document.format.rawValue), .text(document.sha256),
                              .int(document.size), .text(document.chunker), .text(document.metadata),
                              .text(document.updatedAt ?? now), .integer(id)).run()
            } else {
                status = .created
                try connection.prepare("""
                    INSERT INTO documents(source, path, title, format, sha256, size, chunker, metadata, created_at,
                    updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).bind(.text(document.source), .text(document.path), .text(document.title), .text(document.format.rawValue),
                              .text(document.sha256), .int(document.size), .text(document.chunker),
                              .text(document.metadata), .text(document.createdAt ?? now),
                              .text(document.updatedAt ?? now)).run()
                id = connection.lastInsertRowID
            }
            let insertChunk = try connection.prepare("""
                INSERT INTO chunks(document_id, ordinal, heading, text, first_line, last_line, tokens, sha256)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertVector = try connection.prepare(
                "INSERT INTO vectors(chunk_id, fingerprint, vector) VALUES (?, ?, ?)")
            let insertCache = try connection.prepare(
                "INSERT OR IGNORE INTO embedding_cache(text_sha256, fingerprint, vector) VALUES (?, ?, ?)")
            let insertText = try connection.prepare("INSERT INTO chunks_fts(rowid, context, text) VALUES (?, ?, ?)")
            var rows: [(chunkID: Int64, vector: [Float])] = []
            for (chunk, vector) in zip(document.chunks, document.vectors) {
                guard vector.count == fingerprint.dimension, vector.allSatisfy(\.isFinite) else {
                    throw IndexError.dimensionMismatch(expected: fingerprint.dimension, got: vector.count,
                                                       what: "vector of \(document.path) chunk \(chunk.ordinal)")
                }
                let hash = SHA256.hex(EmbeddingText.make(path: document.path, heading: chunk.heading, text: chunk.text))
                insertChunk.reset()
                try insertChunk.bind(.integer(id), .int(chunk.ordinal), .text(chunk.heading), .text(chunk.text),
                                     .int(chunk.firstLine), .int(chunk.lastLine), .int(chunk.tokens), .text(hash))
                    .run()
                let chunkID = connection.lastInsertRowID
                insertText.reset()
                try insertText.bind(.integer(chunkID), .text(FullText.context(path: document.path, heading: chunk.heading)),
                                    .text(FullText.spacedCJK(chunk.text))).run()
                insertVector.reset()
                try insertVector.bind(.integer(chunkID), .text(fingerprint.key), .floats(vector)).run()
                insertCache.reset()
                try insertCache.bind(.text(hash), .text(fingerprint.key), .floats(vector)).run()
                rows.append((chunkID, vector))
            }
            return WrittenDocument(id: id, status: status, rows: rows)
        }
    }

    /// Deletes a document with its chunks and vectors; returns false when there was none.
    @discardableResult
    public func removeDocument(id: Int64) throws -> Bool {
        try writeTransaction { connection in
            try connection.prepare("DELETE FROM documents WHERE id = ?").bind(.integer(id)).run()
            return connection.changes > 0
        }
    }

    /// Calls `body` for every stored vector of `fingerprintKey` with its chunk, document and path.
    ///
    /// The vector bytes are only valid during the call.
    func forEachVector(fingerprintKey: String, dimension: Int,
                       _ body: (Int64, Int64, String, UnsafeRawBufferPointer) throws -> Void) throws {
        try withConnection { connection in
            let statement = try connection.prepare("""
                SELECT v.chunk_id, c.document_id, d.path, v.vector FROM vectors v
                JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id
                WHERE v.fingerprint = ? ORDER BY c.document_id, c.ordinal
                """).bind(.text(fingerprintKey))
            while try statement.step() {
                let chunkID = statement.int(0)
                try statement.withBlob(3) { bytes in
                    guard bytes.count == dimension * 4 else {
                        throw StoreError.corruptVector(chunkID: chunkID, bytes: bytes.count, dimension: dimension)
                    }
                    try body(chunkID, statement.int(1), statement.text(2), bytes)
                }
            }
        }
    }

    /// Calls `body` for every cached embedding: text hash, fingerprint key, vector.
    public func forEachCachedVector(_ body: (String, String, [Float]) throws -> Void) throws {
        try withConnection { connection in
            let statement = try connection.prepare(
                "SELECT text_sha256, fingerprint, vector FROM embedding_cache ORDER BY text_sha256, fingerprint")
            while try statement.step() {
                let vector = statement.withBlob(2) { Array($0.bindMemory(to: Float.self)) }
                try body(statement.text(0), statement.text(1), vector)
            }
        }
    }

    /// Adds cached embeddings (existing entries are kept), in one transaction.
    public func storeCachedVectors(_ entries: [(hash: String, fingerprintKey: String, vector: [Float])]) throws {
        try writeTransaction { connection in
            let insert = try connection.prepare(
                "INSERT OR IGNORE INTO embedding_cache(text_sha256, fingerprint, vector) VALUES (?, ?, ?)")
            for entry in entries {
                insert.reset()
                try insert.bind(.text(entry.hash), .text(entry.fingerprintKey), .floats(entry.vector)).run()
            }
        }
    }
}
