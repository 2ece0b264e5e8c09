import Foundation
import Logging

/// What retrieval returned for one question, before any metric is computed.
public struct QuestionRun: Sendable {
    public var question: EvalQuestion
    /// Chunks best first, with no minimum score, deep enough to hold `depth` distinct documents (or all there are).
    public var chunks: [RetrievedChunk]
    public var embedMilliseconds: Double
    public var searchMilliseconds: Double

    public init(question: EvalQuestion, chunks: [RetrievedChunk], embedMilliseconds: Double = 0,
                searchMilliseconds: Double = 0) {
        self.question = question
        self.chunks = chunks
        self.embedMilliseconds = embedMilliseconds
        self.searchMilliseconds = searchMilliseconds
    }

    /// Score of the best chunk; nil when nothing was retrieved.
    public var topScore: Float? { chunks.first?.score }
}

/// Runs evaluation questions against a knowledge base in-process: embed, exact search, document ranking.
public struct Evaluator: Sendable {
    public let catalog: Catalog
    public let embedder: any EmbeddingClient
    /// How candidates are found, as `kb query --mode` does.
    public var mode: SearchMode
    let logger: Logger

    public init(catalog: Catalog, embedder: any EmbeddingClient, mode: SearchMode = .hybrid, logger: Logger) {
        self.catalog = catalog
        self.embedder = embedder
        self.mode = mode
        self.logger = logger
    }

    /// The fingerprint of the knowledge base, checked against the embedder.
    ///
    /// - Throws: `QueryError.emptyKnowledgeBase` or `.embedderMismatch`.
    public func checkedFingerprint() throws -> EmbeddingFingerprint {
        guard let fingerprint = try catalog.store.fingerprint(), try catalog.loadIndex() != nil else {
            throw QueryError.emptyKnowledgeBase(path: catalog.store.path)
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
            let chunks = try retrieve(vector, question: question.question, depth: depth)
            let searched = ContinuousClock.now
            runs.append(QuestionRun(question: question, chunks: chunks,
                                    embedMilliseconds: started.duration(to: embedded).millisecondsDouble,
                                    searchMilliseconds: embedded.duration(to: searched).millisecondsDouble))
            logger.debug("eval question", metadata: [
                "question.id": "\(question.id)", "query.chunks": "\(chunks.count)",
            ])
            progress(offset + 1, questions.count)
        }
        return runs
    }

    // The index returns chunks; documents with several good chunks take several places, so ask for more chunks
    // until `depth` distinct documents are among them or the index has no more rows.
    func retrieve(_ vector: [Float], question: String, depth: Int) throws -> [RetrievedChunk] {
        let engine = QueryEngine(catalog: catalog, embedder: embedder, logger: logger)
        return try catalog.read { index in
            guard let index else { return [] }
            var k = max(depth * 4, 20)
            var hits: [Hit] = []
            while true {
                // No minimum here: the report applies it afterwards, so one run serves every threshold.
                hits = try engine.search(vector, question: question, index: index,
                                         options: QueryOptions(k: k, mode: mode), minScore: -.infinity)
                if Set(hits.map(\.documentID)).count >= depth || hits.count < k { break }
                k *= 4
            }
            let records = try catalog.store.chunks(ids: hits.map(\.chunkID))
            return hits.compactMap { hit in
                records[hit.chunkID].map {
                    RetrievedChunk(chunkID: hit.chunkID, path: $0.path, heading: $0.heading, score: hit.score,
                                   text: $0.text)
                }
            }
        }
    }
}
