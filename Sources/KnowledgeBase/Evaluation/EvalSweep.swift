import Foundation

/// One setting of a sweep and how retrieval fared with it.
public struct SweepRow: Sendable, Codable, Equatable {
    /// Chunk size the corpus was ingested with; nil when the existing knowledge base was used as it is.
    public var chunkTokens: Int?
    public var chunks: Int
    public var k: Int
    public var minScore: Float
    /// Targets found among the first k documents that reach the minimum score.
    public var recallAtK: Double?
    public var mrrAt10: Double?
    public var ndcgAt10: Double?
    /// Questions whose `answer_contains` strings all appear in the k best chunks above the minimum score.
    public var answerInTopKChunks: Double?
    public var refusalPrecision: Double?
    public var refusalRecall: Double?

    enum CodingKeys: String, CodingKey {
        case chunks, k
        case chunkTokens = "chunk_tokens", minScore = "min_score", recallAtK = "recall_at_k", mrrAt10 = "mrr_at_10"
        case ndcgAt10 = "ndcg_at_10", answerInTopKChunks = "answer_in_top_k_chunks"
        case refusalPrecision = "refusal_precision", refusalRecall = "refusal_recall"
    }
}

/// Scores one set of retrieval runs under a grid of k and minimum score (chunk size varies across run sets).
public enum EvalSweep {
    /// One row per (k, minScore); `runs` must hold at least max(ks, 10) documents per question. Refusals apply
    /// `rule` at each minimum score, as a query would.
    public static func rows(runs: [QuestionRun], chunkTokens: Int?, chunks: Int, ks: [Int],
                            minScores: [Float], rule: RefusalRule? = nil) -> [SweepRow] {
        var rows: [SweepRow] = []
        let answerable = runs.filter(\.question.isAnswerable)
        for k in ks {
            for minScore in minScores {
                let judgements = answerable.map {
                    DocumentRanking.judge($0.chunks, targets: $0.question.relevant, minScore: minScore)
                }
                let answers = answerable.compactMap { run in
                    QuestionResult.containsAnswers(run.question.answerContains,
                                                   in: run.chunks.filter { $0.score >= minScore }.prefix(k).map(\.text))
                }
                let refusals = RefusalAnalysis(runs.map {
                    ($0.question.isAnswerable, $0.topCosine, $0.refused(minScore: minScore, rule: rule))
                })
                func mean(_ values: [Double]) -> Double? { RetrievalMetrics.mean(values).map(EvalReport.round) }
                rows.append(SweepRow(
                    chunkTokens: chunkTokens, chunks: chunks, k: k, minScore: minScore,
                    recallAtK: mean(judgements.map { RetrievalMetrics.recall($0, at: k) }),
                    mrrAt10: mean(judgements.map { RetrievalMetrics.reciprocalRank($0, at: 10) }),
                    ndcgAt10: mean(judgements.map { RetrievalMetrics.ndcg($0, at: 10) }),
                    answerInTopKChunks: mean(answers.map { $0 ? 1 : 0 }),
                    refusalPrecision: refusals.precision.map(EvalReport.round),
                    refusalRecall: refusals.recall.map(EvalReport.round)))
            }
        }
        return rows
    }

    /// The sweep as a Markdown table, one row per setting.
    public static func table(_ rows: [SweepRow]) -> String {
        var lines = ["| chunk tokens | chunks | k | min score | recall@k | MRR@10 | nDCG@10 | answer in top-k chunks "
            + "| refusal precision | refusal recall |",
                     "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in rows {
            let cells = [row.chunkTokens.map(String.init) ?? "as stored", String(row.chunks), String(row.k),
                         String(format: "%.3f", row.minScore), EvalReport.format(row.recallAtK),
                         EvalReport.format(row.mrrAt10), EvalReport.format(row.ndcgAt10),
                         EvalReport.format(row.answerInTopKChunks), EvalReport.format(row.refusalPrecision),
                         EvalReport.format(row.refusalRecall)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
