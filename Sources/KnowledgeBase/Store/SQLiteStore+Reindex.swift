import Foundation

/// A chunk to re-embed: its id and the text that is embedded for it.
public struct ChunkToEmbed: Sendable {
    public var chunkID: Int64
    public var label: String
    public var embeddingText: String
}

extension SQLiteStore {
    /// Chunks that have no vector under `fingerprintKey` yet, in document order.
    public func chunksWithoutVector(fingerprintKey: String) throws -> [ChunkToEmbed] {
        try withConnection { connection in
            let statement = try connection.prepare("""
                SELECT c.id, d.path, c.heading, c.text, c.ordinal FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.fingerprint = ?)
                ORDER BY d.path, c.ordinal
                """).bind(.text(fingerprintKey))
            var chunks: [ChunkToEmbed] = []
            while try statement.step() {
                let path = statement.text(1)
                let heading = statement.text(2)
                chunks.append(ChunkToEmbed(
                    chunkID: statement.int(0), label: "\(path) › \(heading) (chunk \(statement.int(4) + 1))",
                    embeddingText: EmbeddingText.make(path: path, heading: heading, text: statement.text(3))))
            }
            return chunks
        }
    }

    /// Stores vectors for existing chunks under `fingerprintKey` (and in the cache) in one transaction.
    ///
    /// Chunks deleted meanwhile are skipped.
    public func storeVectors(_ vectors: [(chunk: ChunkToEmbed, vector: [Float])], fingerprintKey: String) throws {
        try writeTransaction { connection in
            let insert = try connection.prepare("""
                INSERT OR REPLACE INTO vectors(chunk_id, fingerprint, vector)
                SELECT id, ?, ? FROM chunks WHERE id = ?
                """)
            let cache = try connection.prepare(
                "INSERT OR IGNORE INTO embedding_cache(text_sha256, fingerprint, vector) VALUES (?, ?, ?)")
            for (chunk, vector) in vectors {
                insert.reset()
                try insert.bind(.text(fingerprintKey), .floats(vector), .integer(chunk.chunkID)).run()
                cache.reset()
                try cache.bind(.text(SHA256.hex(chunk.embeddingText)), .text(fingerprintKey), .floats(vector)).run()
            }
            // Vectors of the active fingerprint are what indexes hold: their documents go on the feed. (A reindex
            // stages another fingerprint's vectors, which no index sees until the switch.)
            let active = try connection.prepare("SELECT value FROM meta WHERE key = 'fingerprint'")
            if try active.step(),
               try JSONDecoder().decode(EmbeddingFingerprint.self, from: Data(active.text(0).utf8)).key == fingerprintKey
            {
                let record = try connection.prepare("""
                    INSERT INTO changes(kind, document_id, at_ms)
                    SELECT 'replaced', document_id, \(Schema.nowMilliseconds) FROM chunks WHERE id = ?
                    """)
                var recorded = Set<Int64>()
                let owner = try connection.prepare("SELECT document_id FROM chunks WHERE id = ?")
                for (chunk, _) in vectors {
                    owner.reset()
                    guard try owner.bind(.integer(chunk.chunkID)).step(), recorded.insert(owner.int(0)).inserted else {
                        continue
                    }
                    record.reset()
                    try record.bind(.integer(chunk.chunkID)).run()
                }
            }
        }
    }

    /// Makes `fingerprint` the active one and drops every other fingerprint's vectors, in one transaction.
    ///
    /// - Throws: `StoreError.invalidInput` (changing nothing) if some chunk still lacks a vector under it.
    public func switchFingerprint(to fingerprint: EmbeddingFingerprint) throws {
        let json = String(decoding: try JSONEncoder().encode(fingerprint), as: UTF8.self)
        try writeTransaction { connection in
            let missing = try Self.scalar(connection, """
                SELECT count(*) FROM chunks c WHERE NOT EXISTS
                (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND v.fingerprint = ?)
                """, .text(fingerprint.key))
            guard missing == 0 else {
                throw StoreError.invalidInput("\(missing) chunks have no vector for \(fingerprint) yet (documents "
                    + "changed during the reindex?); run `kb reindex` again to finish.")
            }
            try connection.prepare("""
                    INSERT INTO meta(key, value) VALUES ('fingerprint', ?)
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """)
                .bind(.text(json)).run()
            try connection.prepare("DELETE FROM vectors WHERE fingerprint <> ?").bind(.text(fingerprint.key)).run()
        }
    }
}
