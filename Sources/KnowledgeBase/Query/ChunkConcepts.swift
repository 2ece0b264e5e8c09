import Synchronization

/// The normalised words (`TermNormaliser.concepts`) of chunks the refusal rule has looked at, kept in memory.
///
/// Term coverage asks, for a question word the knowledge base lacks as written, whether the best hits hold it in
/// another form; that means stemming every word of ten chunks, which cost a fifth of a query's CPU time when done
/// on each query. A chunk's concepts depend only on its path, heading and text, so they are kept under its id
/// together with a digest of the three: a chunk rewritten under a reused id is recomputed, never served stale,
/// whichever process wrote it. At most `capacity` chunks are kept; when full, the cache starts over.
final class ChunkConcepts: Sendable {
    private struct Entry {
        var digest: Int
        var concepts: Set<String>
    }

    let capacity: Int
    private let entries = Mutex<[Int64: Entry]>([:])

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// Chunks held now.
    var count: Int { entries.withLock { $0.count } }

    /// The concepts of `record`'s path, heading and text.
    func concepts(of record: ChunkRecord) -> Set<String> {
        var hasher = Hasher()
        hasher.combine(record.path)
        hasher.combine(record.heading)
        hasher.combine(record.text)
        let digest = hasher.finalize()
        if let entry = entries.withLock({ $0[record.id] }), entry.digest == digest { return entry.concepts }
        let concepts = TermNormaliser.concepts(TermNormaliser.words(record.path) + TermNormaliser.words(record.heading)
                                                   + TermNormaliser.words(record.text))
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[record.id] = Entry(digest: digest, concepts: concepts)
        }
        return concepts
    }

    /// The union of the concepts of `records`.
    func concepts(of records: some Sequence<ChunkRecord>) -> Set<String> {
        var union = Set<String>()
        for record in records { union.formUnion(concepts(of: record)) }
        return union
    }
}
