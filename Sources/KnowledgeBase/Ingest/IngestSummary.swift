/// What an ingest run did, printed at the end (and as JSON with `--json`).
public struct IngestSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var removed = 0
    public var failed = 0
    public var skipped = 0
    public var chunks = 0
    /// Chunks whose vectors came from the embedding cache instead of the embedder.
    public var cachedChunks = 0
    public var embeddedChunks = 0
    public var embeddingRequests = 0
    public var seconds = 0.0
    /// One line per document that failed or file that was skipped, naming it and why.
    public var problems: [String] = []
    /// Set when the run stopped early (embedder unreachable, model missing); what was committed stays.
    public var abortedBecause: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case added, updated, unchanged, removed, failed, skipped, chunks, seconds, problems
        case cachedChunks = "cached_chunks"
        case embeddedChunks = "embedded_chunks"
        case embeddingRequests = "embedding_requests"
        case abortedBecause = "aborted_because"
    }

    /// One line for people.
    public var line: String {
        let rate = seconds > 0 ? Double(embeddedChunks) / seconds : 0
        return "documents: \(added) added, \(updated) updated, \(unchanged) unchanged, \(removed) removed, "
            + "\(failed) failed, \(skipped) skipped; chunks: \(chunks) written (\(embeddedChunks) embedded, "
            + "\(cachedChunks) from cache); \(embeddingRequests) embedding requests; "
            + String(format: "%.2f s (%.1f chunks/s embedded)", seconds, rate)
    }
}

/// Progress of an ingest run, reported after each document.
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var chunksEmbedded: Int
    public var currentPath: String
}
