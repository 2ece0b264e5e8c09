import Foundation
import Logging

/// How candidates are found.
public enum SearchMode: String, Sendable, Codable, CaseIterable {
    /// Cosine similarity of embeddings (meaning).
    case vector
    /// BM25 over the full-text index (exact words: alert names, error strings, flags).
    case keyword
    /// Both, fused (reciprocal rank by default); reported scores stay cosines and the minimum score applies to them.
    case hybrid
}

/// Settings of one query.
public struct QueryOptions: Sendable {
    public var k: Int
    public var mode: SearchMode
    /// Hits scoring below this are dropped; nil uses the embedder's default (`defaultMinScore`).
    public var minScore: Float?
    public var pathPrefix: String?
    /// How hybrid search merges its two candidate lists.
    public var fusion: FusionMethod
    /// Whether the fitted refusal rule or the minimum score alone decides that the runbooks do not cover a question.
    public var refusal: RefusalPolicy
    /// Only documents whose metadata meets every filter are searched (inside the search, before the top-k).
    public var filters: [MetadataFilter] = []
    /// Whether the context adds the ranked runbooks' sections (`ContextAssembler`) or holds the k passages alone.
    public var context: ContextMode = .sections

    public init(k: Int = 5, minScore: Float? = nil, pathPrefix: String? = nil, mode: SearchMode = .hybrid,
                fusion: FusionMethod = .rrf, refusal: RefusalPolicy = .rule) {
        self.k = k
        self.mode = mode
        self.minScore = minScore
        self.pathPrefix = pathPrefix
        self.fusion = fusion
        self.refusal = refusal
    }

    /// The minimum score below which a hit is not evidence, per embedder (cosine scales differ by model).
    public static func defaultMinScore(for fingerprint: EmbeddingFingerprint) -> Float {
        fingerprint.embedder == "hash" ? 0.10 : 0.25
    }
}

/// What the prompt's context holds.
public enum ContextMode: String, Sendable, Codable, CaseIterable {
    /// The k retrieved passages, then sections of their runbooks that answer the question (`ContextAssembler`).
    case sections
    /// The k retrieved passages alone.
    case retrieved
}

/// One passage of a result (retrieved, or added to the context from a ranked runbook), as `kb query --json`
/// prints it.
public struct QueryHit: Sendable, Codable, Equatable {
    public var rank: Int
    public var chunkID: Int64
    public var path: String
    public var heading: String
    public var score: Float
    public var text: String
    public var lines: [Int]
    /// The document's source and metadata (front matter), when known.
    public var source: String?
    public var metadata: [String: MetadataValue]?
    /// The same passage in other documents (identical text, or near-identical under the same heading), folded into
    /// this result so copies do not take several places; nil when there is none.
    public var alsoIn: [DuplicateCopy]?
    /// Why the passage is in the context: retrieved by the search, or a section of a ranked runbook added to it
    /// (its score is then its cosine to the question); nil for passages listed otherwise (a whole runbook).
    public var included: ContextInclusion?

    public init(rank: Int, chunkID: Int64, path: String, heading: String, score: Float, text: String, lines: [Int],
                source: String? = nil, metadata: [String: MetadataValue]? = nil, alsoIn: [DuplicateCopy]? = nil,
                included: ContextInclusion? = nil) {
        self.rank = rank
        self.chunkID = chunkID
        self.path = path
        self.heading = heading
        self.score = score
        self.text = text
        self.lines = lines
        self.source = source
        self.metadata = metadata
        self.alsoIn = alsoIn
        self.included = included
    }

    enum CodingKeys: String, CodingKey {
        case rank, path, heading, score, text, lines, source, metadata, included
        case chunkID = "chunk_id", alsoIn = "also_in"
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
    /// True when the runbooks do not appear to cover the question; `results` is then empty.
    public var refused: Bool
    /// What the refusal decision looked at.
    public var evidence: RefusalEvidence?
    public var results: [QueryHit]
    public var prompt: String
    public var timings: QueryTimings

    public init(question: String, mode: SearchMode, refused: Bool = false, evidence: RefusalEvidence? = nil,
                results: [QueryHit], prompt: String, timings: QueryTimings) {
        self.question = question
        self.mode = mode
        self.refused = refused
        self.evidence = evidence
        self.results = results
        self.prompt = prompt
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case question, mode, refused, evidence, results, prompt
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
        // Changes other processes committed are applied first (one pragma when there are none).
        try catalog.refresh()
        guard let fingerprint = try catalog.loadedIndex().fingerprint else {
            throw QueryError.emptyKnowledgeBase(path: catalog.store.location)
        }
        guard fingerprint.isCompatible(with: embedder.fingerprint(dimension: 0)) else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: 0))
        }
        // The first query of a process loads the index; that one-off cost is logged by the catalog, not timed here.
        // Every mode embeds the question: the refusal decision needs its cosine to the candidates.
        let embedding = ContinuousClock.now
        guard let vector = try await embedder.embed([trimmed]).first else {
            throw EmbeddingError.invalidResponse("no embedding returned for the question")
        }
        guard vector.count == fingerprint.dimension else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: vector.count))
        }
        let embedded = ContinuousClock.now
        let minScore = options.minScore ?? QueryOptions.defaultMinScore(for: fingerprint)
        let (retrieval, refused, passages) = try catalog.readLoaded { state in
            // A reindex may have swapped the index while the question was embedded: never score across fingerprints.
            guard let state, state.fingerprint?.key == fingerprint.key else { throw QueryError.indexChanged }
            let index = state.index
            let retrieval = try retrieve(vector, question: trimmed, index: index, options: options,
                                         sequence: state.sequence)
            let rule = options.refusal.rule(for: fingerprint, chunks: index?.count ?? 0)
            let refused = retrieval.evidence.refused(minScore: minScore, rule: rule)
            var passages: [Passage] = []
            if !refused {
                passages = try self.passages(retrieval, question: trimmed, vector: vector, index: index,
                                             options: options, minScore: minScore)
            }
            return (retrieval, refused, passages)
        }
        let searched = ContinuousClock.now
        let owners = try catalog.store.documentLabels(ids: Set(passages.map(\.documentID)))
        let results = passages.enumerated().map { offset, passage -> QueryHit in
            var hit = passage.hit
            hit.rank = offset + 1
            let owner = owners[passage.documentID]
            hit.source = owner?.source
            hit.metadata = owner.map { FrontMatter.parseJSON($0.metadata) }
            return hit
        }
        let sources = results.map { PromptSource(number: $0.rank, path: $0.path, heading: $0.heading, text: $0.text) }
        let prompt = promptBuilder.build(question: trimmed, sources: sources).prompt
        let finished = ContinuousClock.now
        let timings = QueryTimings(embed: embedding.duration(to: embedded).millisecondsDouble,
                                   search: embedded.duration(to: searched).millisecondsDouble,
                                   total: started.duration(to: finished).millisecondsDouble)
        logger.debug("query", metadata: [
            "query.k": "\(options.k)", "query.hits": "\(results.count)", "query.refused": "\(refused)",
            "duration_ms": "\(timings.total)",
        ])
        return QueryResult(question: trimmed, mode: options.mode, refused: refused, evidence: retrieval.evidence,
                           results: results, prompt: prompt, timings: timings)
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
