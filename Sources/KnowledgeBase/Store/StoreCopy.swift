import Foundation

/// What `kb migrate` copied, and the checksums that show the copy equals the source.
public struct StoreCopySummary: Sendable, Codable {
    public var documents: Int
    public var chunks: Int
    public var vectors: Int
    public var cachedEmbeddings: Int
    public var sources: Int
    /// Over every document, chunk and vector of the active fingerprint (see `StoreCopy.checksum`).
    public var contentChecksum: String
    public var cacheChecksum: String
    public var seconds: Double
}

/// Copies a knowledge base from one store to another (SQLite to PostgreSQL and back) without re-embedding:
/// documents with their times, chunks, the active fingerprint's vectors, synced sources and the embedding cache.
public enum StoreCopy {
    /// Copies `source` into the empty `target`, then checks both hold the same content.
    ///
    /// - Throws: `StoreError.invalidInput` when the target is not empty or the copy differs from the source (the
    ///   target then holds what was copied; nothing of the source is touched).
    public static func copy(from source: any KnowledgeStore, to target: any KnowledgeStore,
                            progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> StoreCopySummary {
        let started = ContinuousClock.now
        let existing = try target.documentCount()
        guard existing == 0, try target.fingerprint() == nil else {
            throw StoreError.invalidInput("\(target.location) already holds a knowledge base (\(existing) documents); "
                + "migrate into an empty one, so nothing there is overwritten")
        }
        for record in try source.sources() {
            try target.claimSource(name: record.name, root: record.root, kind: record.kind)
            try target.recordSource(name: record.name, root: record.root, kind: record.kind, ref: record.ref,
                                    revision: record.revision)
        }
        let documents = try source.documents()
        if let fingerprint = try source.fingerprint() {
            for (done, document) in documents.enumerated() {
                let chunks = try source.chunks(documentID: document.id)
                let rows = try source.documentRows(document.id, fingerprintKey: fingerprint.key,
                                                   dimension: fingerprint.dimension)
                let vectors = Dictionary(rows.rows.map { ($0.chunkID, $0.vector) }, uniquingKeysWith: { first, _ in first })
                var write = DocumentWrite(
                    source: document.source, path: document.path, title: document.title, format: document.format,
                    sha256: document.sha256, size: document.size, chunker: document.chunker,
                    metadata: document.metadata,
                    chunks: chunks.map {
                        Chunk(ordinal: $0.ordinal, headingPath: $0.heading.components(separatedBy: " › "), text: $0.text,
                              firstLine: $0.firstLine, lastLine: $0.lastLine, tokens: $0.tokens)
                    },
                    vectors: try chunks.map { chunk in
                        guard let vector = vectors[chunk.id] else {
                            throw StoreError.invalidInput("\(document.path) chunk \(chunk.ordinal + 1) has no vector "
                                + "for \(fingerprint); finish `kb reindex` on the source first")
                        }
                        return vector
                    })
                write.createdAt = document.createdAt
                write.updatedAt = document.updatedAt
                _ = try target.write(write, fingerprint: fingerprint)
                progress(done + 1, documents.count)
            }
        }
        var batch: [(hash: String, fingerprintKey: String, vector: [Float])] = []
        try source.forEachCachedVector { hash, key, vector in
            batch.append((hash, key, vector))
            if batch.count == 1000 {
                try target.storeCachedVectors(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { try target.storeCachedVectors(batch) }

        let (from, to) = (try checksum(source), try checksum(target))
        let (fromStats, toStats) = (try source.stats(), try target.stats())
        guard from == to, fromStats.documents == toStats.documents, fromStats.chunks == toStats.chunks,
              fromStats.vectors == toStats.vectors, fromStats.cachedEmbeddings == toStats.cachedEmbeddings
        else {
            throw StoreError.invalidInput("the copy in \(target.location) differs from \(source.location) "
                + "(documents \(toStats.documents)/\(fromStats.documents), chunks \(toStats.chunks)/\(fromStats.chunks), "
                + "vectors \(toStats.vectors)/\(fromStats.vectors), cache \(toStats.cachedEmbeddings)/"
                + "\(fromStats.cachedEmbeddings), checksums \(from.content == to.content ? "equal" : "differ")); "
                + "a writer may have changed the source meanwhile: empty the target and run kb migrate again")
        }
        return StoreCopySummary(documents: toStats.documents, chunks: toStats.chunks, vectors: toStats.vectors,
                                cachedEmbeddings: toStats.cachedEmbeddings, sources: try target.sources().count,
                                contentChecksum: to.content, cacheChecksum: to.cache,
                                seconds: Double(started.duration(to: .now).milliseconds) / 1000)
    }

    /// SHA-256 over everything a knowledge base holds, independent of ids and of the store: each document (by source
    /// and path) with its fields, each chunk with its text, lines and vector bytes; and over the embedding cache.
    public static func checksum(_ store: any KnowledgeStore) throws -> (content: String, cache: String) {
        var content = SHA256()
        func add(_ text: String) { content.update(Array(text.utf8) + [0]) }
        let fingerprint = try store.fingerprint()
        add(fingerprint?.key ?? "-")
        let documents = try store.documents().sorted { ($0.source, $0.path) < ($1.source, $1.path) }
        for document in documents {
            for field in [document.source, document.path, document.title, document.format.rawValue, document.sha256,
                          String(document.size), document.chunker, document.metadata, document.createdAt,
                          document.updatedAt] { add(field) }
            let vectors = try fingerprint.map {
                Dictionary(try store.documentRows(document.id, fingerprintKey: $0.key, dimension: $0.dimension).rows
                    .map { ($0.chunkID, $0.vector) }, uniquingKeysWith: { first, _ in first })
            } ?? [:]
            for chunk in try store.chunks(documentID: document.id) {
                for field in [String(chunk.ordinal), chunk.heading, chunk.text, String(chunk.firstLine),
                              String(chunk.lastLine), String(chunk.tokens), chunk.sha256] { add(field) }
                (vectors[chunk.id] ?? []).withUnsafeBytes { content.update($0) }
            }
        }
        var cache = SHA256()
        try store.forEachCachedVector { hash, key, vector in
            cache.update(Array("\(hash)\u{0}\(key)\u{0}".utf8))
            vector.withUnsafeBytes { cache.update($0) }
        }
        return (content.finalizeHex(), cache.finalizeHex())
    }
}
