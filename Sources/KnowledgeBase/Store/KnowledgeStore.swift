/// Where a knowledge base keeps its documents, chunks, vectors, embedding cache, keyword index and change feed.
///
/// Two stores stand behind it: `SQLiteStore` (one file, one machine) and `PostgresStore` (one database shared by any
/// number of `kb serve` replicas). The index, the query engine, ingest and sync talk only to this protocol; every
/// statement of SQL lives in the stores. Every write is one transaction that also appends to the change feed, so a
/// process following the feed (`Catalog`) never sees half a document.
public protocol KnowledgeStore: AnyObject, Sendable {
    /// Where the store is, for messages and logs: a file path, or a URL without its password.
    var location: String { get }

    // MARK: meta

    /// The fingerprint of the vectors the index is built from, or nil for an empty knowledge base.
    func fingerprint() throws -> EmbeddingFingerprint?
    /// Number of vectors stored under `fingerprint`.
    func vectorCount(_ fingerprint: EmbeddingFingerprint) throws -> Int
    /// Counts for `kb stats`.
    func stats() throws -> StoreStats
    /// Flushes what a clean shutdown should (SQLite: the write-ahead log); nothing for a server database.
    func checkpoint() throws

    // MARK: documents

    /// The document stored under `path` in `source`; with no source, the first by source name holding the path.
    func document(path: String, source: String?) throws -> DocumentRecord?
    /// Every document stored under `path`, one per source that holds it.
    func documents(path: String) throws -> [DocumentRecord]
    /// The document with `id`, if any.
    func document(id: Int64) throws -> DocumentRecord?
    /// Documents ordered by path (then source), a page at a time; only those of `source` when it is given.
    func documents(limit: Int, offset: Int, source: String?) throws -> [DocumentRecord]
    /// Number of documents, or of those in `source`.
    func documentCount(source: String?) throws -> Int
    /// The chunks of a document in order.
    func chunks(documentID: Int64) throws -> [ChunkRecord]
    /// The chunks with the given ids; ids not found are left out.
    func chunks(ids: [Int64]) throws -> [Int64: ChunkRecord]
    /// Cached vectors for embedded-text hashes under `fingerprintKey`.
    func cachedVectors(hashes: [String], fingerprintKey: String) throws -> [String: [Float]]
    /// Writes a document, its chunks, vectors and keyword entries in one transaction, replacing any earlier version
    /// at its (source, path). The first write records `fingerprint`; another fingerprint is refused.
    func write(_ document: DocumentWrite, fingerprint: EmbeddingFingerprint) throws -> WrittenDocument
    /// Deletes a document with its chunks and vectors; false when there was none.
    func removeDocument(id: Int64) throws -> Bool
    /// The documents whose metadata meets every filter.
    func documentIDs(matching filters: [MetadataFilter]) throws -> Set<Int64>
    /// Source and metadata (JSON text) of each of `ids` that exists.
    func documentLabels(ids: Set<Int64>) throws -> [Int64: (source: String, metadata: String)]

    // MARK: keyword search

    /// How many chunks contain each of `phrases` (as `FullText.phrases` makes them), each counted up to
    /// `countLimit`; in the order given.
    func termCounts(_ phrases: [String], countLimit: Int) throws -> [Int]
    /// The best `limit` chunks for `terms`, searching only the rarest terms whose counts fit `postingBudget`.
    func keywordSearch(terms: [QueryTerm], limit: Int, pathPrefix: String?, documentIDs: Set<Int64>?,
                       contextWeight: Double, postingBudget: Int) throws -> [KeywordHit]

    // MARK: reindex

    /// Chunks that have no vector under `fingerprintKey` yet, in document order.
    func chunksWithoutVector(fingerprintKey: String) throws -> [ChunkToEmbed]
    /// Stores vectors for existing chunks under `fingerprintKey` (and in the cache) in one transaction.
    func storeVectors(_ vectors: [(chunk: ChunkToEmbed, vector: [Float])], fingerprintKey: String) throws
    /// Makes `fingerprint` the active one and drops every other fingerprint's vectors, in one transaction.
    func switchFingerprint(to fingerprint: EmbeddingFingerprint) throws

    // MARK: sources

    /// Every synced source, by name.
    func sources() throws -> [SourceRecord]
    /// Takes `name` for a sync from `root` before anything is written (checked and recorded in one transaction).
    func claimSource(name: String, root: String, kind: String) throws
    /// Records (or updates) a synced source after a sync.
    func recordSource(name: String, root: String, kind: String, ref: String?, revision: String?) throws

    // MARK: change feed

    /// A number that changes whenever anything may have been committed; equal means nothing was. Cheap.
    func changeCounter() throws -> Int64
    /// The newest change's sequence (0 for none).
    func latestSequence() throws -> Int64
    /// Up to `limit` changes after `sequence`, oldest first, and whether the feed still holds all of them.
    func changes(after sequence: Int64, limit: Int) throws -> ChangeBatch
    /// When the oldest change after `sequence` was committed (ms since 1970), or nil when there is none.
    func oldestChange(after sequence: Int64) throws -> Int64?
    /// The rows of `documentID` under `fingerprintKey` as currently committed, read from one version.
    func documentRows(_ documentID: Int64, fingerprintKey: String, dimension: Int) throws -> DocumentRows
    /// Records how far the following process `reader` got (nil removes it), so the feed is pruned behind it.
    func recordReader(_ reader: String, sequence: Int64?) throws
    /// The active fingerprint's vectors as an index, with the feed position they reflect, from one snapshot.
    func loadIndex(precision: IndexPrecision) throws -> LoadedIndex
    /// Returns when `changeCounter()` may have moved, after `timeout` at the latest, or at once when `stop` is set.
    /// A store that hears of other processes' commits (PostgreSQL's NOTIFY) wakes its followers then; SQLite polls.
    func waitForChange(upTo timeout: Duration, unless stop: StopSignal)

    // MARK: copying (`kb migrate`)

    /// Calls `body` for every cached embedding: text hash, fingerprint key, vector.
    func forEachCachedVector(_ body: (String, String, [Float]) throws -> Void) throws
    /// Adds cached embeddings (existing entries are kept), in one transaction.
    func storeCachedVectors(_ entries: [(hash: String, fingerprintKey: String, vector: [Float])]) throws
}

/// Limits shared by every store.
public enum StoreLimits {
    /// Matching rows a keyword search may score: rarer terms are kept first until their chunk counts add up to this,
    /// so a question full of common words costs a bounded amount at any size. SQLite's FTS5 scores about 1.25 rows
    /// per µs, so 20,000 rows cost some 16 ms, a fifth of a vector scan over a million 384-dimension chunks.
    public static let keywordPostingBudget = 20_000
    /// Distinct terms of one question that get a full count. A pasted log or a long question can hold hundreds,
    /// and each common one costs a capped count of up to `keywordPostingBudget` rows; past this many, only the
    /// rarest are counted in full (see `queryTerms`).
    public static let countedQueryTerms = 64
    /// Distinct terms of one question looked at at all; the rest of a very long question is not searched by word.
    public static let consideredQueryTerms = 1024
    /// The cheap first count every term of a long question gets, to tell the rare ones from the common ones.
    static let termProbeLimit = 16
}

extension KnowledgeStore {
    public func waitForChange(upTo timeout: Duration, unless stop: StopSignal) { stop.wait(for: timeout) }

    public func document(path: String) throws -> DocumentRecord? { try document(path: path, source: nil) }

    public func documents(limit: Int = Int(Int32.max), offset: Int = 0) throws -> [DocumentRecord] {
        try documents(limit: limit, offset: offset, source: nil)
    }

    public func documents(source: String?) throws -> [DocumentRecord] {
        try documents(limit: Int(Int32.max), offset: 0, source: source)
    }

    public func documentCount() throws -> Int { try documentCount(source: nil) }

    public func changes(after sequence: Int64) throws -> ChangeBatch { try changes(after: sequence, limit: 10_000) }

    public func queryTerms(_ question: String) throws -> [QueryTerm] {
        try queryTerms(question, countLimit: StoreLimits.keywordPostingBudget + 1)
    }

    /// The searchable terms of `question`, each with the chunks containing it counted up to `countLimit`.
    ///
    /// A question of more than `StoreLimits.countedQueryTerms` distinct terms has every term probed with a count
    /// that stops at `termProbeLimit` (a probe below that limit is already exact), and only the rarest
    /// `countedQueryTerms` counted in full. The other, common terms are reported at `countLimit` ("at least that
    /// many"): they still count as found for the refusal rule's coverage, and a keyword search, which searches the
    /// rarest terms within its posting budget, leaves them out as it would have anyway.
    public func queryTerms(_ question: String, countLimit: Int) throws -> [QueryTerm] {
        try queryTerms(question, countLimit: countLimit, counting: termCounts)
    }

    /// The same, with chunk counts taken from `termCounts` (e.g. through a `TermCountCache`) instead of the
    /// full-text index each time.
    func queryTerms(_ question: String, countLimit: Int = StoreLimits.keywordPostingBudget + 1,
                    counting termCounts: ([String], Int) throws -> [Int]) throws -> [QueryTerm]
    {
        let phrases = Array(FullText.phrases(question).prefix(StoreLimits.consideredQueryTerms))
        guard !phrases.isEmpty else { return [] }
        guard phrases.count > StoreLimits.countedQueryTerms, countLimit > StoreLimits.termProbeLimit else {
            let counts = try termCounts(phrases, countLimit)
            return zip(phrases, counts).map { QueryTerm(phrase: $0, chunkCount: $1) }
        }
        let probeLimit = StoreLimits.termProbeLimit
        var counts = try termCounts(phrases, probeLimit)
        let rarest = phrases.indices.sorted { (counts[$0], $0) < (counts[$1], $1) }
            .prefix(StoreLimits.countedQueryTerms)
        let recount = rarest.filter { counts[$0] >= probeLimit }
        let full = try termCounts(recount.map { phrases[$0] }, countLimit)
        for index in counts.indices where counts[index] >= probeLimit { counts[index] = countLimit }
        for (index, count) in zip(recount, full) { counts[index] = count }
        return zip(phrases, counts).map { QueryTerm(phrase: $0, chunkCount: $1) }
    }

    public func keywordSearch(terms: [QueryTerm], limit: Int, pathPrefix: String? = nil,
                              documentIDs: Set<Int64>? = nil, contextWeight: Double = 2) throws -> [KeywordHit]
    {
        try keywordSearch(terms: terms, limit: limit, pathPrefix: pathPrefix, documentIDs: documentIDs,
                          contextWeight: contextWeight, postingBudget: StoreLimits.keywordPostingBudget)
    }

    /// The best `limit` chunks for `question` by keyword; nothing when the question has no searchable word.
    public func keywordSearch(_ question: String, limit: Int, pathPrefix: String? = nil,
                              documentIDs: Set<Int64>? = nil, contextWeight: Double = 2) throws -> [KeywordHit]
    {
        try keywordSearch(terms: try queryTerms(question), limit: limit, pathPrefix: pathPrefix,
                          documentIDs: documentIDs, contextWeight: contextWeight)
    }
}
