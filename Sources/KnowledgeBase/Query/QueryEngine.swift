import Foundation
import Logging

/// How candidates are found.
public enum SearchMode: String, Sendable, Codable, CaseIterable {
    /// Cosine similarity of embeddings (meaning).
    case vector
    /// BM25 over the full-text index (exact words: alert names, error strings, flags).
    case keyword
    /// Both, fused by reciprocal rank; the minimum score still applies to the cosine, so it refuses as vector does.
    case hybrid
}

/// Settings of one query.
public struct QueryOptions: Sendable {
    public var k: Int
    public var mode: SearchMode
    /// Hits scoring below this are dropped; nil uses the embedder's default (`defaultMinScore`).
    public var minScore: Float?
    public var pathPrefix: String?

    public init(k: Int = 5, minScore: Float? = nil, pathPrefix: String? = nil, mode: SearchMode = .hybrid) {
        self.k = k
        self.mode = mode
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
    /// The search mode that produced `results`.
    public var mode: SearchMode
    public var results: [QueryHit]
    public var prompt: String
    public var timings: QueryTimings

    enum CodingKeys: String, CodingKey {
        case question, mode, results, prompt
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
        guard fingerprint.isCompatible(with: embedder.fingerprint(dimension: 0)) else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: 0))
        }
        // The first query of a process loads the index; that one-off cost is logged by the catalog, not timed here.
        let embedding = ContinuousClock.now
        var vector: [Float] = []
        if options.mode != .keyword {
            guard let embedded = try await embedder.embed([trimmed]).first else {
                throw EmbeddingError.invalidResponse("no embedding returned for the question")
            }
            guard embedded.count == fingerprint.dimension else {
                throw QueryError.embedderMismatch(index: fingerprint,
                                                  requested: embedder.fingerprint(dimension: embedded.count))
            }
            vector = embedded
        }
        let embedded = ContinuousClock.now
        let minScore = options.minScore ?? QueryOptions.defaultMinScore(for: fingerprint)
        let (hits, chunks) = try catalog.read { index in
            let hits = try search(vector, question: trimmed, index: index, options: options, minScore: minScore)
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
        return QueryResult(question: trimmed, mode: options.mode, results: results, prompt: prompt, timings: timings)
    }
}

extension QueryEngine {
    /// Candidates per retriever in hybrid search, at least; enough that fusion can lift a chunk one retriever
    /// ranks low, and bounded so a query stays fast at a million chunks.
    static let hybridCandidates = 50
    /// The rank constant of reciprocal rank fusion (Cormack et al. use 60).
    static let fusionK: Float = 60

    func search(_ vector: [Float], question: String, index: VectorIndex?, options: QueryOptions, minScore: Float) throws
        -> [Hit]
    {
        switch options.mode {
        case .vector:
            let filter = SearchFilter(minScore: minScore, pathPrefix: options.pathPrefix)
            return try index?.search(vector, k: options.k, filter: filter) ?? []
        case .keyword:
            // BM25 has its own scale, so the cosine minimum does not apply; no matching word means no source.
            return try catalog.store.keywordSearch(question, limit: options.k, pathPrefix: options.pathPrefix).map {
                Hit(chunkID: $0.chunkID, documentID: $0.documentID, score: Float($0.score))
            }
        case .hybrid:
            guard let index else { return [] }
            let depth = max(Self.hybridCandidates, options.k * 4)
            let semantic = try index.search(vector, k: depth, filter: SearchFilter(pathPrefix: options.pathPrefix))
            let lexical = try catalog.store.keywordSearch(question, limit: depth, pathPrefix: options.pathPrefix)
            var fused: [Int64: (hit: Hit, score: Float)] = [:]
            for (rank, hit) in semantic.enumerated() {
                fused[hit.chunkID] = (hit, 1 / (Self.fusionK + Float(rank + 1)))
            }
            let cosines = try index.scores(of: Set(lexical.map(\.chunkID)).subtracting(fused.keys), query: vector)
            for (rank, hit) in lexical.enumerated() {
                let contribution = 1 / (Self.fusionK + Float(rank + 1))
                if let existing = fused[hit.chunkID] {
                    fused[hit.chunkID] = (existing.hit, existing.score + contribution)
                } else if let cosine = cosines[hit.chunkID] {
                    fused[hit.chunkID] = (Hit(chunkID: hit.chunkID, documentID: hit.documentID, score: cosine), contribution)
                }
            }
            // Reported scores stay cosines, and the minimum applies to them: fusion reorders, it does not make a
            // chunk that means something else count as evidence.
            return fused.values.filter { $0.hit.score >= minScore }
                .sorted { $0.score != $1.score ? $0.score > $1.score : $0.hit.ranksBefore($1.hit) }
                .prefix(options.k).map(\.hit)
        }
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
