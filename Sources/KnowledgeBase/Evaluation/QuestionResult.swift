import Foundation

/// Retrieval metrics averaged over a group of answerable questions; refusal figures for unanswerable ones.
public struct KindMetrics: Sendable, Codable, Equatable {
    public var questions: Int
    public var recallAt1: Double?
    public var recallAt5: Double?
    public var recallAt10: Double?
    public var hitRateAt1: Double?
    public var hitRateAt5: Double?
    public var mrrAt10: Double?
    public var ndcgAt10: Double?
    /// Share of questions with `answer_contains` whose strings all appear in the top 5 chunks.
    public var answerInTop5Chunks: Double?
    /// Share of questions with `answer_contains` whose strings all appear in the assembled prompt's context.
    public var answerInContext: Double?
    public var refused: Int?
    public var refusalRecall: Double?

    enum CodingKeys: String, CodingKey {
        case questions, refused
        case recallAt1 = "recall_at_1", recallAt5 = "recall_at_5", recallAt10 = "recall_at_10"
        case hitRateAt1 = "hit_rate_at_1", hitRateAt5 = "hit_rate_at_5", mrrAt10 = "mrr_at_10", ndcgAt10 = "ndcg_at_10"
        case answerInTop5Chunks = "answer_in_top_5_chunks", refusalRecall = "refusal_recall"
        case answerInContext = "answer_in_context"
    }

    /// Averages over `results` (answerable questions only count towards the rank metrics).
    init(_ results: [QuestionResult]) {
        questions = results.count
        let answerable = results.filter { $0.kind != .unanswerable }
        func mean(_ value: (QuestionResult) -> Double?) -> Double? {
            RetrievalMetrics.mean(answerable.compactMap(value)).map(EvalReport.round)
        }
        recallAt1 = mean(\.recallAt1)
        recallAt5 = mean(\.recallAt5)
        recallAt10 = mean(\.recallAt10)
        hitRateAt1 = mean { $0.firstRelevantRank == 1 ? 1 : 0 }
        hitRateAt5 = mean { $0.firstRelevantRank.map { $0 <= 5 ? 1 : 0 } ?? 0 }
        mrrAt10 = mean(\.reciprocalRank)
        ndcgAt10 = mean(\.ndcgAt10)
        answerInTop5Chunks = mean { $0.answerFound.map { $0 ? 1 : 0 } }
        answerInContext = mean { $0.answerInContext.map { $0 ? 1 : 0 } }
        let unanswerable = results.filter { $0.kind == .unanswerable }
        if !unanswerable.isEmpty {
            refused = unanswerable.filter(\.refused).count
            refusalRecall = EvalReport.round(Double(refused!) / Double(unanswerable.count))
        }
    }
}

/// One retrieved document in a question's result.
public struct RetrievedDocument: Sendable, Codable, Equatable {
    public var rank: Int
    public var path: String
    public var heading: String
    public var score: Double
    public var relevant: Bool
}

/// How one question fared.
public struct QuestionResult: Sendable, Codable, Equatable {
    public var id: String
    public var kind: QuestionKind
    public var question: String
    public var relevant: [String]
    /// Document rank where each relevant target was found (nil: not within the depth searched).
    public var foundAt: [Int?]
    public var firstRelevantRank: Int?
    public var recallAt1: Double?
    public var recallAt5: Double?
    public var recallAt10: Double?
    public var reciprocalRank: Double?
    public var ndcgAt10: Double?
    public var topScore: Double?
    /// The best cosine and the share of the question's terms the knowledge base knows, as the refusal rule saw them.
    public var topCosine: Double?
    public var termCoverage: Double?
    /// kb would say the runbooks do not cover this question (see `RefusalEvidence.refused`).
    public var refused: Bool
    /// Every `answer_contains` string appears in the top 5 chunks; nil when the question lists none.
    public var answerFound: Bool?
    /// Every `answer_contains` string appears in the context the prompt is built from; nil when the question lists
    /// none or the run has no context.
    public var answerInContext: Bool?
    /// The top-k documents that came back.
    public var retrieved: [RetrievedDocument]
    public var embedMilliseconds: Double
    public var searchMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case id, kind, question, relevant, refused, retrieved
        case foundAt = "found_at", firstRelevantRank = "first_relevant_rank"
        case recallAt1 = "recall_at_1", recallAt5 = "recall_at_5", recallAt10 = "recall_at_10"
        case reciprocalRank = "reciprocal_rank", ndcgAt10 = "ndcg_at_10", topScore = "top_score"
        case topCosine = "top_cosine", termCoverage = "term_coverage"
        case answerFound = "answer_found", answerInContext = "answer_in_context", embedMilliseconds = "embed_ms", searchMilliseconds = "search_ms"
    }

    /// Judges one run at depth `k` (at least 10 documents are always judged), minimum score `minScore` and
    /// refusal rule `rule` (nil: the minimum score alone).
    public init(_ run: QuestionRun, k: Int, minScore: Float, rule: RefusalRule? = nil) {
        let question = run.question
        id = question.id
        kind = question.kind
        self.question = question.question
        relevant = question.relevant.map(\.description)
        let depth = max(k, 10)
        let judgement = DocumentRanking.judge(run.chunks, targets: question.relevant, depth: depth)
        foundAt = judgement.targetRanks
        firstRelevantRank = judgement.firstRelevantRank
        if question.isAnswerable {
            recallAt1 = RetrievalMetrics.recall(judgement, at: 1)
            recallAt5 = RetrievalMetrics.recall(judgement, at: 5)
            recallAt10 = RetrievalMetrics.recall(judgement, at: 10)
            reciprocalRank = EvalReport.round(RetrievalMetrics.reciprocalRank(judgement, at: 10))
            ndcgAt10 = EvalReport.round(RetrievalMetrics.ndcg(judgement, at: 10))
        }
        topScore = run.topScore.map { EvalReport.round(Double($0)) }
        topCosine = run.evidence?.topCosine.map { EvalReport.round(Double($0)) }
        termCoverage = run.evidence.map { EvalReport.round($0.termCoverage) }
        refused = run.refused(minScore: minScore, rule: rule)
        answerFound = run.results.map { Self.containsAnswers(question.answerContains, in: $0.prefix(5)) }
            ?? Self.containsAnswers(question.answerContains, in: run.chunks.prefix(5).map(\.text))
        answerInContext = run.context.flatMap { Self.containsAnswers(question.answerContains, in: [$0]) }
        retrieved = DocumentRanking.documents(from: run.chunks).prefix(k).map { document in
            RetrievedDocument(rank: document.rank, path: document.path, heading: document.heading,
                              score: EvalReport.round(Double(document.score)),
                              relevant: question.relevant.contains { $0.matchesDocument(document.path) })
        }
        embedMilliseconds = run.embedMilliseconds
        searchMilliseconds = run.searchMilliseconds
    }

    static func containsAnswers(_ answers: [String], in texts: some Sequence<String>) -> Bool? {
        guard !answers.isEmpty else { return nil }
        let context = texts.joined(separator: "\n").localizedLowercase
        return answers.allSatisfy { context.contains($0.localizedLowercase) }
    }
}

/// Embed, search and end-to-end latency percentiles in milliseconds.
public struct LatencyReport: Sendable, Codable, Equatable {
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var embed: LatencySummary
    public var search: LatencySummary
}

/// What was evaluated, and how.
public struct EvalSettings: Sendable, Codable, Equatable {
    public var k: Int
    public var minScore: Float
    public var embedder: String
    public var model: String
    public var dimension: Int
    public var database: String
    public var questionFile: String
    /// Search mode of the run (absent in reports written before modes existed).
    public var mode: SearchMode?
    /// Fusion of hybrid search (absent in reports written before it could be chosen).
    public var fusion: FusionMethod?
    /// The refusal rule applied with the minimum score; nil when the minimum score alone decides.
    public var refusalRule: RefusalRule?

    public init(k: Int, minScore: Float, fingerprint: EmbeddingFingerprint, database: String, questionFile: String,
                mode: SearchMode? = nil, fusion: FusionMethod? = nil, refusalRule: RefusalRule? = nil) {
        self.mode = mode
        self.fusion = fusion
        self.refusalRule = refusalRule
        self.k = k
        self.minScore = minScore
        self.embedder = fingerprint.embedder
        self.model = fingerprint.model
        self.dimension = fingerprint.dimension
        self.database = database
        self.questionFile = questionFile
    }
}
