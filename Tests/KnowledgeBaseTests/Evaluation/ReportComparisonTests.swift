import Foundation
import Testing
@testable import KnowledgeBase

struct ReportComparisonTests {
    func report(rankOfDisk: Int, unanswerableScore: Float) -> EvalReport {
        let disk = EvalQuestion(id: "disk", question: "disk full?", relevant: [RelevantTarget(path: "disk.md")], kind: .howto)
        let cert = EvalQuestion(id: "cert", question: "renew?", relevant: [RelevantTarget(path: "cert.md")], kind: .factoid)
        let none = EvalQuestion(id: "none", question: "budget?", relevant: [], kind: .unanswerable)
        let others = (1..<rankOfDisk).map { RetrievedChunk(chunkID: Int64($0), path: "other\($0).md", heading: "", score: 0.9 - Float($0) / 100) }
        let runs = [
            QuestionRun(question: disk, chunks: others + [RetrievedChunk(chunkID: 50, path: "disk.md", heading: "", score: 0.5)],
                        embedMilliseconds: 1, searchMilliseconds: 1),
            QuestionRun(question: cert, chunks: [RetrievedChunk(chunkID: 60, path: "cert.md", heading: "", score: 0.7)],
                        embedMilliseconds: 2, searchMilliseconds: 1),
            QuestionRun(question: none, chunks: [RetrievedChunk(chunkID: 70, path: "x.md", heading: "", score: unanswerableScore)],
                        embedMilliseconds: 3, searchMilliseconds: 1),
        ]
        let settings = EvalSettings(k: 10, minScore: 0.3, fingerprint: EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 8),
                                    database: "kb.sqlite", questionFile: "q.jsonl")
        return EvalReport(runs: runs, settings: settings)
    }

    @Test func deltasAreNewMinusOldAndMovedQuestionsAreListed() throws {
        let before = report(rankOfDisk: 4, unanswerableScore: 0.4)
        let after = report(rankOfDisk: 1, unanswerableScore: 0.2)
        #expect(before.recallAt1 == 0.5 && after.recallAt1 == 1)
        let comparison = try ReportComparison(baseline: before.json(), named: "old.json", report: after)
        let recall = try #require(comparison.deltas.first { $0.metric == "recall_at_1" })
        #expect(recall.old == 0.5 && recall.new == 1 && recall.delta == 0.5)
        let mrr = try #require(comparison.deltas.first { $0.metric == "mrr_at_10" })
        #expect(mrr.old == 0.625 && mrr.delta == 0.375)
        let refusal = try #require(comparison.deltas.first { $0.metric == "refusal_recall" })
        #expect(refusal.old == 0 && refusal.new == 1)
        let precision = try #require(comparison.deltas.first { $0.metric == "refusal_precision" })
        #expect(precision.old == nil && precision.new == 1 && precision.delta == nil)
        #expect(comparison.questions == [
            .init(id: "disk", oldRank: 4, newRank: 1, oldRefused: false, newRefused: false),
            .init(id: "none", oldRank: nil, newRank: nil, oldRefused: false, newRefused: true),
        ])
        let text = comparison.text()
        #expect(text.contains("recall_at_1") && text.contains("+0.500") && text.contains("disk: rank 4 → 1"))
        #expect(text.contains("now refused"))
    }

    @Test func somethingThatIsNotAReportIsRefused() {
        #expect(throws: EvalError.self) {
            try ReportComparison(baseline: Data("[1, 2]".utf8), named: "x.json", report: report(rankOfDisk: 1, unanswerableScore: 0.1))
        }
    }

    @Test func theJSONReportHasEveryHeadlineKeyEvenWhenNull() throws {
        let object = try #require(try JSONSerialization.jsonObject(with: report(rankOfDisk: 2, unanswerableScore: 0.1).json()) as? [String: Any])
        for key in ["questions", "recall_at_1", "recall_at_5", "recall_at_10", "hit_rate_at_5", "mrr_at_10", "ndcg_at_10",
                    "refusal_precision", "refusal_recall", "suggested_min_score", "latency_ms", "per_question", "per_kind"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let latency = try #require(object["latency_ms"] as? [String: Any])
        #expect(latency["p50"] as? Double == 3 && latency["p99"] as? Double == 4)
        #expect((latency["embed"] as? [String: Any])?["p95"] as? Double == 3)
        #expect(object["questions"] as? Int == 3)
    }
}
