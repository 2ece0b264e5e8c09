import Foundation
import Logging

/// What retrieval returned for one question, before any metric is computed.
public struct QuestionRun: Sendable {
    public var question: EvalQuestion
    /// Chunks best first, with no minimum score, deep enough to hold `depth` distinct documents (or all there are).
    public var chunks: [RetrievedChunk]
    /// What the refusal decision looks at, as a query computes it; nil for runs made without it, which are
    /// refused when the best chunk scores below the minimum score.
    public var evidence: RefusalEvidence?
    public var embedMilliseconds: Double
    public var searchMilliseconds: Double
    /// Texts of the results a query with the default k (5) returns, copies folded (`DuplicateCollapse`), before
    /// the context adds sections; nil for runs made without it (the first 5 of `chunks` then count).
    public var results: [String]?
    /// The prompt's context as the same query assembles it (every block that fits the budget); nil when not built.
    public var context: String?

    public init(question: EvalQuestion, chunks: [RetrievedChunk], evidence: RefusalEvidence? = nil,
                embedMilliseconds: Double = 0, searchMilliseconds: Double = 0, results: [String]? = nil,
                context: String? = nil) {
        self.question = question
        self.chunks = chunks
        self.evidence = evidence
        self.results = results
        self.context = context
        self.embedMilliseconds = embedMilliseconds
        self.searchMilliseconds = searchMilliseconds
    }

    /// Score of the best chunk; nil when nothing was retrieved.
    public var topScore: Float? { chunks.first?.score }

    /// The best cosine the refusal decision saw, else the best chunk's score.
    public var topCosine: Float? { evidence.map(\.topCosine) ?? topScore }

    /// Whether `kb ask` would refuse this question at `minScore` with `rule` (see `RefusalEvidence.refused`).
    public func refused(minScore: Float, rule: RefusalRule?) -> Bool {
        guard let evidence else { return topScore.map { $0 < minScore } ?? true }
        return evidence.refused(minScore: minScore, rule: rule)
    }
}

/// Runs evaluation questions against a knowledge base in-process: embed, exact search, document ranking.
public struct Evaluator: Sendable {
    public let catalog: Catalog
    public let embedder: any EmbeddingClient
    /// How candidates are found, as `kb query --mode` does.
    public var mode: SearchMode
    /// How hybrid search fuses its lists, as `kb query --fusion` does.
    public var fusion: FusionMethod
    /// How the prompt's context is assembled for `answer_in_context`, as `kb query` does by default.
    public var context: ContextMode = .sections
    /// Minimum score of the results the context is built from; nil: the embedder's default.
    public var minScore: Float?
    /// Results per question the context is built from (`kb query` and `kb ask` default to 5).
    public static let contextK = 5
    let logger: Logger

    public init(catalog: Catalog, embedder: any EmbeddingClient, mode: SearchMode = .hybrid, fusion: FusionMethod = .rrf,
                logger: Logger) {
        self.catalog = catalog
        self.embedder = embedder
        self.mode = mode
        self.fusion = fusion
        self.logger = logger
    }

    /// The fingerprint of the knowledge base, checked against the embedder.
    ///
    /// - Throws: `QueryError.emptyKnowledgeBase` or `.embedderMismatch`.
    public func checkedFingerprint() throws -> EmbeddingFingerprint {
        guard let fingerprint = try catalog.store.fingerprint(), try catalog.loadIndex() != nil else {
            throw QueryError.emptyKnowledgeBase(path: catalog.store.location)
        }
        guard fingerprint.isCompatible(with: embedder.fingerprint(dimension: 0)) else {
            throw QueryError.embedderMismatch(index: fingerprint, requested: embedder.fingerprint(dimension: 0))
        }
        return fingerprint
    }

    /// Retrieves chunks for every question until `depth` distinct documents are found (or the index runs out).
    ///
    /// Questions are embedded one at a time so the timings are those of a single query.
    /// - Throws: the embedder's error, `QueryError` for an empty or mismatched knowledge base.
    public func run(_ questions: [EvalQuestion], depth: Int,
                    progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> [QuestionRun] {
        let fingerprint = try checkedFingerprint()
        var runs: [QuestionRun] = []
        for (offset, question) in questions.enumerated() {
            try Task.checkCancellation()
            let started = ContinuousClock.now
            guard let vector = try await embedder.embed([question.question]).first else {
                throw EmbeddingError.invalidResponse("no embedding returned for question \(question.id)")
            }
            guard vector.count == fingerprint.dimension else {
                throw QueryError.embedderMismatch(index: fingerprint,
                                                  requested: embedder.fingerprint(dimension: vector.count))
            }
            let embedded = ContinuousClock.now
            let (chunks, evidence) = try retrieve(vector, question: question.question, depth: depth)
            let searched = ContinuousClock.now
            let (results, context) = try assemble(vector, question: question.question,
                                                  minScore: minScore ?? QueryOptions.defaultMinScore(for: fingerprint))
            runs.append(QuestionRun(question: question, chunks: chunks, evidence: evidence,
                                    embedMilliseconds: started.duration(to: embedded).millisecondsDouble,
                                    searchMilliseconds: embedded.duration(to: searched).millisecondsDouble,
                                    results: results, context: context))
            logger.debug("eval question", metadata: [
                "question.id": "\(question.id)", "query.chunks": "\(chunks.count)",
            ])
            progress(offset + 1, questions.count)
        }
        return runs
    }

    // What `kb query` would return and put in the prompt (refusal aside: the context is judged on its own).
    func assemble(_ vector: [Float], question: String, minScore: Float) throws -> ([String], String) {
        let engine = QueryEngine(catalog: catalog, embedder: embedder, logger: logger)
        var options = QueryOptions(k: Self.contextK, mode: mode, fusion: fusion)
        options.context = context
        let passages = try catalog.read { index -> [Passage] in
            guard let index else { return [] }
            let retrieval = try engine.retrieve(vector, question: question, index: index, options: options)
            return try engine.passages(retrieval, question: question, vector: vector, index: index, options: options,
                                       minScore: minScore)
        }
        let sources = passages.enumerated().map { offset, passage in
            PromptSource(number: offset + 1, path: passage.hit.path, heading: passage.hit.heading,
                         text: passage.hit.text)
        }
        let built = engine.promptBuilder.build(question: question, sources: sources)
        let context = sources.prefix(built.included).map { "\($0.label)\n\($0.text)" }.joined(separator: "\n\n")
        let results = passages.filter { $0.hit.included == .retrieved }.map(\.hit.text)
        return (results, context)
    }

    // The index returns chunks; documents with several good chunks take several places, so ask for more chunks
    // until `depth` distinct documents are among them or the index has no more rows.
    func retrieve(_ vector: [Float], question: String, depth: Int) throws -> ([RetrievedChunk], RefusalEvidence?) {
        let engine = QueryEngine(catalog: catalog, embedder: embedder, logger: logger)
        return try catalog.read { index in
            guard let index else { return ([], nil) }
            var k = max(depth * 4, 20)
            var retrieval: Retrieval
            while true {
                // No minimum here: the report applies it afterwards, so one run serves every threshold.
                retrieval = try engine.retrieve(vector, question: question, index: index,
                                                options: QueryOptions(k: k, mode: mode, fusion: fusion))
                let hits = retrieval.hits.prefix(k)
                if Set(hits.map(\.documentID)).count >= depth || hits.count < k { break }
                k *= 4
            }
            let records = retrieval.records
            let chunks = retrieval.hits.prefix(k).compactMap { hit in
                records[hit.chunkID].map {
                    RetrievedChunk(chunkID: hit.chunkID, path: $0.path, heading: $0.heading, score: hit.score,
                                   text: $0.text)
                }
            }
            return (chunks, retrieval.evidence)
        }
    }
}
