import CSQLite

extension VectorIndex {
    /// An index holding every stored vector of `fingerprint`, read in one pass over the vectors table.
    ///
    /// The vectors table is scanned in its own key order (no join, no sort), each BLOB copied straight into the
    /// contiguous buffer, and each chunk's document found by walking the chunks, also in id order, alongside.
    /// - Throws: `StoreError.corruptVector` for a BLOB of the wrong size, or the SQLite error.
    static func load(from store: SQLiteStore, fingerprint: EmbeddingFingerprint, reservingRows rows: Int) throws
        -> VectorIndex
    {
        let index = VectorIndex(dimension: fingerprint.dimension, reservingRows: rows)
        try store.withConnection { connection in
            var paths: [Int64: String] = [:]
            let documents = try connection.prepare("SELECT id, path FROM documents")
            while try documents.step() { paths[documents.int(0)] = documents.text(1) }
            var chunkIDs: [Int64] = []
            var chunkDocuments: [Int64] = []
            chunkIDs.reserveCapacity(rows)
            chunkDocuments.reserveCapacity(rows)
            let chunks = try connection.prepare("SELECT id, document_id FROM chunks ORDER BY id")
            while try chunks.step() {
                chunkIDs.append(chunks.int(0))
                chunkDocuments.append(chunks.int(1))
            }
            let vectors = try connection.prepare(
                "SELECT chunk_id, vector FROM vectors NOT INDEXED WHERE fingerprint = ? ORDER BY chunk_id")
                .bind(.text(fingerprint.key))
            try index.lock.withWriteLock {
                index.documentPaths = paths
                var position = 0
                let bytes = fingerprint.dimension * MemoryLayout<Float>.size
                while try vectors.step() {
                    let chunkID = vectors.int(0)
                    while position < chunkIDs.count && chunkIDs[position] < chunkID { position += 1 }
                    // A vector whose chunk is gone (foreign keys were off) is not part of the knowledge base.
                    guard position < chunkIDs.count, chunkIDs[position] == chunkID else { continue }
                    try vectors.withBlob(1) { blob in
                        guard blob.count == bytes else {
                            throw StoreError.corruptVector(chunkID: chunkID, bytes: blob.count,
                                                           dimension: fingerprint.dimension)
                        }
                        index.appendStoredRow(blob.baseAddress!, chunkID: chunkID,
                                              documentID: chunkDocuments[position])
                    }
                }
            }
        }
        return index
    }
}
