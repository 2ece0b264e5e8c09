import Foundation

/// The result of `kb eval`: flat headline metrics, per-kind and per-question details.
///
/// Rank metrics count distinct documents (a document ranks where its best chunk does) over answerable
/// questions; refusals count the questions kb would refuse (the refusal rule, or no chunk at the minimum score).
public struct EvalReport: Sendable, Codable, Equatable {
    public var questions: Int
    public var answerable: Int
    public var unanswerable: Int
    public var settings: EvalSettings
    public var recallAt1: Double?
    public var recallAt5: Double?
    public var recallAt10: Double?
    public var hitRateAt1: Double?
    public var hitRateAt5: Double?
    public var mrrAt10: Double?
    public var ndcgAt10: Double?
    public var answerInTop5Chunks: Double?
    public var answerInContext: Double?
    public var refused: Int
    public var answerableRefused: Int
    public var refusalPrecision: Double?
    public var refusalRecall: Double?
    public var suggestedMinScore: Double?
    public var latency: LatencyReport
    public var perKind: [String: KindMetrics]
    public var perQuestion: [QuestionResult]
    public var malformed: [MalformedLine]

    enum CodingKeys: String, CodingKey {
        case questions, answerable, unanswerable, settings, refused, malformed
        case recallAt1 = "recall_at_1", recallAt5 = "recall_at_5", recallAt10 = "recall_at_10"
        case hitRateAt1 = "hit_rate_at_1", hitRateAt5 = "hit_rate_at_5", mrrAt10 = "mrr_at_10", ndcgAt10 = "ndcg_at_10"
        case answerInTop5Chunks = "answer_in_top_5_chunks", answerInContext = "answer_in_context"
        case answerableRefused = "answerable_refused"
        case refusalPrecision = "refusal_precision", refusalRecall = "refusal_recall"
        case suggestedMinScore = "suggested_min_score", latency = "latency_ms"
        case perKind = "per_kind", perQuestion = "per_question"
    }

    /// Scores `runs` with the settings they were made with.
    public init(runs: [QuestionRun], settings: EvalSettings, malformed: [MalformedLine] = []) {
        self.settings = settings
        self.malformed = malformed
        perQuestion = runs.map {
            QuestionResult($0, k: settings.k, minScore: settings.minScore, rule: settings.refusalRule)
        }
        questions = runs.count
        unanswerable = runs.filter { !$0.question.isAnswerable }.count
        answerable = questions - unanswerable
        let overall = KindMetrics(perQuestion)
        recallAt1 = overall.recallAt1
        recallAt5 = overall.recallAt5
        recallAt10 = overall.recallAt10
        hitRateAt1 = overall.hitRateAt1
        hitRateAt5 = overall.hitRateAt5
        mrrAt10 = overall.mrrAt10
        ndcgAt10 = overall.ndcgAt10
        answerInTop5Chunks = overall.answerInTop5Chunks
        answerInContext = overall.answerInContext
        let refusals = RefusalAnalysis(runs.map {
            ($0.question.isAnswerable, $0.topCosine, $0.refused(minScore: settings.minScore, rule: settings.refusalRule))
        })
        refused = refusals.refused
        answerableRefused = refusals.answerableRefused
        refusalPrecision = refusals.precision.map(Self.round)
        refusalRecall = refusals.recall.map(Self.round)
        suggestedMinScore = refusals.suggestedMinScore
        perKind = Dictionary(grouping: perQuestion, by: \.kind.rawValue).mapValues(KindMetrics.init)
        latency = LatencyReport(
            p50: 0, p95: 0, p99: 0, embed: LatencySummary(runs.map(\.embedMilliseconds)),
            search: LatencySummary(runs.map(\.searchMilliseconds)))
        let total = LatencySummary(runs.map { $0.embedMilliseconds + $0.searchMilliseconds })
        (latency.p50, latency.p95, latency.p99) = (total.p50, total.p95, total.p99)
    }

    // Every headline key is written, as null when it has no value, so consumers can rely on it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(questions, forKey: .questions)
        try container.encode(answerable, forKey: .answerable)
        try container.encode(unanswerable, forKey: .unanswerable)
        try container.encode(settings, forKey: .settings)
        try container.encode(recallAt1, forKey: .recallAt1)
        try container.encode(recallAt5, forKey: .recallAt5)
        try container.encode(recallAt10, forKey: .recallAt10)
        try container.encode(hitRateAt1, forKey: .hitRateAt1)
        try container.encode(hitRateAt5, forKey: .hitRateAt5)
        try container.encode(mrrAt10, forKey: .mrrAt10)
        try container.encode(ndcgAt10, forKey: .ndcgAt10)
        try container.encode(answerInTop5Chunks, forKey: .answerInTop5Chunks)
        try container.encode(answerInContext, forKey: .answerInContext)
        try container.encode(refused, forKey: .refused)
        try container.encode(answerableRefused, forKey: .answerableRefused)
        try container.encode(refusalPrecision, forKey: .refusalPrecision)
        try container.encode(refusalRecall, forKey: .refusalRecall)
        try container.encode(suggestedMinScore, forKey: .suggestedMinScore)
        try container.encode(latency, forKey: .latency)
        try container.encode(perKind, forKey: .perKind)
        try container.encode(perQuestion, forKey: .perQuestion)
        try container.encode(malformed, forKey: .malformed)
    }

    /// The report as pretty, key-sorted JSON.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Figures are rounded to 4 decimals so reports diff cleanly.
    static func round(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

extension EvalSettings {
    enum CodingKeys: String, CodingKey {
        case k, embedder, model, dimension, database, mode, fusion
        case minScore = "min_score", questionFile = "question_file", refusalRule = "refusal_rule"
    }
}
