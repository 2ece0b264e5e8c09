import Foundation
import Testing
@testable import KnowledgeBase

struct RetrievalMetricsTests {
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-4 }

    @Test func oneTargetAtRankTwo() {
        let judgement = Judgement(targetRanks: [2])
        #expect(RetrievalMetrics.recall(judgement, at: 1) == 0)
        #expect(RetrievalMetrics.recall(judgement, at: 5) == 1)
        #expect(RetrievalMetrics.hit(judgement, at: 1) == 0)
        #expect(RetrievalMetrics.hit(judgement, at: 5) == 1)
        #expect(RetrievalMetrics.reciprocalRank(judgement, at: 10) == 0.5)
        // 1/log2(3) over the ideal 1/log2(2) = 0.63093
        #expect(close(RetrievalMetrics.ndcg(judgement, at: 10), 0.63093))
    }

    @Test func twoTargetsAtRanksOneAndFour() {
        let judgement = Judgement(targetRanks: [1, 4])
        #expect(RetrievalMetrics.recall(judgement, at: 1) == 0.5)
        #expect(RetrievalMetrics.recall(judgement, at: 5) == 1)
        #expect(RetrievalMetrics.reciprocalRank(judgement, at: 10) == 1)
        // (1 + 1/log2(5)) / (1 + 1/log2(3)) = 1.43068 / 1.63093 = 0.87722
        #expect(close(RetrievalMetrics.ndcg(judgement, at: 10), 0.87722))
        // At k = 3 only rank 1 counts, against an ideal of two: 1 / 1.63093
        #expect(close(RetrievalMetrics.ndcg(judgement, at: 3), 0.61315))
    }

    @Test func oneOfTwoTargetsMissing() {
        let judgement = Judgement(targetRanks: [nil, 3])
        #expect(judgement.firstRelevantRank == 3)
        #expect(RetrievalMetrics.recall(judgement, at: 10) == 0.5)
        #expect(RetrievalMetrics.hit(judgement, at: 5) == 1)
        #expect(close(RetrievalMetrics.reciprocalRank(judgement, at: 10), 1.0 / 3))
        // 1/log2(4) = 0.5 over 1.63093
        #expect(close(RetrievalMetrics.ndcg(judgement, at: 10), 0.30657))
    }

    @Test func nothingFoundOrBeyondTheCutoffScoresZero() {
        for judgement in [Judgement(targetRanks: [nil]), Judgement(targetRanks: [11]), Judgement(targetRanks: [])] {
            #expect(RetrievalMetrics.recall(judgement, at: 10) == 0)
            #expect(RetrievalMetrics.reciprocalRank(judgement, at: 10) == 0)
            #expect(RetrievalMetrics.ndcg(judgement, at: 10) == 0)
            #expect(RetrievalMetrics.hit(judgement, at: 10) == 0)
        }
    }

    @Test func percentilesUseNearestRank() {
        let samples = (1...100).map(Double.init).shuffled()
        let summary = LatencySummary(samples)
        #expect(summary == LatencySummary(p50: 50, p95: 95, p99: 99))
        #expect(LatencySummary([7]) == LatencySummary(p50: 7, p95: 7, p99: 7))
        #expect(LatencySummary([]) == LatencySummary(p50: 0, p95: 0, p99: 0))
    }
}
