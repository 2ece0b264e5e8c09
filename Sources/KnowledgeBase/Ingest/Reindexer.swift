import Logging

/// What a reindex did.
public struct ReindexSummary: Sendable, Codable {
    public var from: EmbeddingFingerprint?
    public var to: EmbeddingFingerprint
    public var chunks = 0
    public var embedded = 0
    public var cached = 0
    /// Chunks that already had a vector from an earlier, interrupted reindex.
    public var resumed = 0
    public var failures: [String] = []
    public var switched = false
}

/// Re-embeds every stored chunk with another embedder and switches the index to it only when all are done.
///
/// Until the switch, queries keep using the old vectors; an interrupted reindex resumes where it stopped.
public struct Reindexer: Sendable {
    public let catalog: Catalog
    public let embedder: any EmbeddingClient
    let logger: Logger

    public init(catalog: Catalog, embedder: any EmbeddingClient, logger: Logger) {
        self.catalog = catalog
        self.embedder = embedder
        self.logger = logger
    }

    public func reindex(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> ReindexSummary {
        let store = catalog.store
        guard let probe = try await embedder.embed(["kb"]).first, !probe.isEmpty else {
            throw EmbeddingError.invalidResponse("the embedder returned no vector for a probe text")
        }
        let target = embedder.fingerprint(dimension: probe.count)
        var summary = ReindexSummary(from: try store.fingerprint(), to: target)
        summary.chunks = try store.stats().chunks
        let todo = try store.chunksWithoutVector(fingerprintKey: target.key)
        summary.resumed = summary.chunks - todo.count
        let cached = try store.cachedVectors(hashes: todo.map { SHA256.hex($0.embeddingText) }, fingerprintKey: target.key)
        var ready: [(chunk: ChunkToEmbed, vector: [Float])] = []
        var missing: [ChunkToEmbed] = []
        for chunk in todo {
            if let vector = cached[SHA256.hex(chunk.embeddingText)] { ready.append((chunk, vector)) } else { missing.append(chunk) }
        }
        summary.cached = ready.count
        try store.storeVectors(ready, fingerprintKey: target.key)
        let batcher = BatchEmbedder(client: embedder)
        // Commit in slices so an interruption keeps most of the work.
        let slice = max(1, embedder.preferredBatchSize) * max(1, embedder.maxConcurrentRequests) * 4
        for start in stride(from: 0, to: missing.count, by: slice) {
            try Task.checkCancellation()
            let part = Array(missing[start..<min(start + slice, missing.count)])
            let results = try await batcher.embed(part.map { ($0.label, $0.embeddingText) })
            var done: [(chunk: ChunkToEmbed, vector: [Float])] = []
            for (chunk, result) in zip(part, results) {
                switch result {
                case .success(let vector) where vector.count == target.dimension: done.append((chunk, vector))
                case .success(let vector):
                    throw EmbeddingError.dimensionMismatch(expected: target.dimension, got: vector.count)
                case .failure(let error): summary.failures.append("\(error)")
                }
            }
            try store.storeVectors(done, fingerprintKey: target.key)
            summary.embedded += done.count
            progress(summary.resumed + summary.cached + start + part.count, summary.chunks)
        }
        if summary.failures.isEmpty {
            try store.switchFingerprint(to: target)
            // The switch is on the feed: a loaded index reloads beside the old one (here and in every other process).
            try catalog.refresh()
            summary.switched = true
        }
        logger.info("reindex finished", metadata: [
            "reindex.to": "\(target.key)", "reindex.embedded": "\(summary.embedded)",
            "reindex.switched": "\(summary.switched)",
        ])
        return summary
    }
}
