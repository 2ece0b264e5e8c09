import Foundation
import Logging

/// Settings of one query.
public struct QueryOptions: Sendable {
    public var k: Int
    /// Hits scoring below this are dropped; nil uses the embedder's default (`defaultMinScore`).
    public var minScore: Float?
    public var pathPrefix: String?

    public init(k: Int = 5, minScore: Float? = nil, pathPrefix: String? = nil) {
        self.k = k
        self.minScore = minScore
        self.pathPrefix = pathPrefix
    }

    /// The minimum score below which a hit is not evidence, per embedder (cosine scales differ by model).
    public static func defaultMinScore(for fingerprint: EmbeddingFingerprint) -> Float {
        fingerprint.embedder == "hash" ? 0.10 : 0.25
    }
}

/// One retrieved chunk, as `kb query --json` prints it.
public struct QueryHit: Sendable, Codable, Equatable {
    public var rank: Int
    public var chunkID: Int64
    public var path: String
    public var heading: String
    public var score: Float
    public var text: String
    public var lines: [Int]

    enum CodingKeys: String, CodingKey {
        case rank, path, heading, score, text, lines
        case chunkID = "chunk_id"
    }
}

/// Milliseconds spent embedding the question, searching, and in all.
public struct QueryTimings: Sendable, Codable, Equatable {
    public var embed: Double
    public var search: Double
    public var total: Double
}

/// The answer to `kb query`: sources, the assembled prompt, and timings.
public struct QueryResult: Sendable, Codable {
    public var question: String
    public var results: [QueryHit]
    public var prompt: String
    public var timings: QueryTimings

    enum CodingKeys: String, CodingKey {
        case question, results, prompt
        case timings = "timings_ms"
    }
}

/// Embeds a question, finds the best chunks, and assembles the cited prompt.
public struct QueryEngine: Sendable {
    public let catalog: Catalog
    public let embedder: any EmbeddingClient
    public var promptBuilder: PromptBuilder
    let logger: Logger

    public init(catalog: Catalog, embedder: any EmbeddingClient, promptBuilder: PromptBuilder = PromptBuilder(),
                logger: Logger) {
        self.catalog = catalog
        self.embedder = embedder
        self.promptBuilder = promptBuilder
        self.logger = logger
    }

    /// Answers `question` with the top-k sources and the prompt built from them.
    ///
    /// - Throws: `QueryError.emptyKnowledgeBase`, `.embedderMismatch`, or the embedder's error.
    public func query(_ question: String, options: QueryOptions = QueryOptions()) async throws -> QueryResult {
        let trimmed = question.trimmingSpaces()
        guard !trimmed.isEmpty else { throw QueryError.invalidQuestion("the question is empty; ask something.") }
        let started = ContinuousClock.now
        guard let fingerprint = try catalog.store.fingerprint(), try catalog.loadIndex() != nil else {
            throw QueryError.emptyKnowledgeBase(path: catalog.store.path)
        }
        guard embedder.kind == fingerprint.embedder && embedder.model == fingerprint.model else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: 0))
        }
        // The first query of a process loads the index; that one-off cost is logged by the catalog, not timed here.
        let embedding = ContinuousClock.now
        guard let vector = try await embedder.embed([trimmed]).first else {
            throw EmbeddingError.invalidResponse("no embedding returned for the question")
        }
        guard vector.count == fingerprint.dimension else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: vector.count))
        }
        let embedded = ContinuousClock.now
        let minScore = options.minScore ?? QueryOptions.defaultMinScore(for: fingerprint)
        let filter = SearchFilter(minScore: minScore, pathPrefix: options.pathPrefix)
        let (hits, chunks) = try catalog.read { index in
            let hits = try index?.search(vector, k: options.k, filter: filter) ?? []
            return (hits, try catalog.store.chunks(ids: hits.map(\.chunkID)))
        }
        let searched = ContinuousClock.now
        let results = hits.enumerated().compactMap { offset, hit -> QueryHit? in
            guard let chunk = chunks[hit.chunkID] else { return nil }
            return QueryHit(rank: offset + 1, chunkID: hit.chunkID, path: chunk.path, heading: chunk.heading,
                            score: hit.score, text: chunk.text, lines: [chunk.firstLine, chunk.lastLine])
        }
        let sources = results.map { PromptSource(number: $0.rank, path: $0.path, heading: $0.heading, text: $0.text) }
        let prompt = promptBuilder.build(question: trimmed, sources: sources).prompt
        let finished = ContinuousClock.now
        let timings = QueryTimings(embed: embedding.duration(to: embedded).millisecondsDouble,
                                   search: embedded.duration(to: searched).millisecondsDouble,
                                   total: started.duration(to: finished).millisecondsDouble)
        logger.debug("query", metadata: [
            "query.k": "\(options.k)", "query.hits": "\(results.count)",
            "duration_ms": "\(timings.total)",
        ])
        return QueryResult(question: trimmed, results: results, prompt: prompt, timings: timings)
    }
}

extension Duration {
    /// Milliseconds with fractions, for timings.
    var millisecondsDouble: Double {
        let (seconds, attoseconds) = components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded(toPlaces: 3)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
