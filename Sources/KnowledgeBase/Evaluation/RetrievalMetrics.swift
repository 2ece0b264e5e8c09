import Foundation

/// Rank metrics over distinct documents, as BEIR and MTEB compute them (binary relevance).
public enum RetrievalMetrics {
    /// Share of targets found within the first `k` documents; 0 when there are no targets.
    public static func recall(_ judgement: Judgement, at k: Int) -> Double {
        guard !judgement.targetRanks.isEmpty else { return 0 }
        let found = judgement.targetRanks.filter { $0.map { $0 <= k } ?? false }.count
        return Double(found) / Double(judgement.targetRanks.count)
    }

    /// 1 when a relevant document is within the first `k`, else 0.
    public static func hit(_ judgement: Judgement, at k: Int) -> Double {
        (judgement.firstRelevantRank.map { $0 <= k } ?? false) ? 1 : 0
    }

    /// 1 / rank of the first relevant document within `k`, else 0.
    public static func reciprocalRank(_ judgement: Judgement, at k: Int) -> Double {
        guard let rank = judgement.firstRelevantRank, rank <= k else { return 0 }
        return 1 / Double(rank)
    }

    /// Normalised discounted cumulative gain at `k`: Σ 1/log2(rank+1) over relevant documents, divided by the
    /// same sum for an ideal ranking of min(targets, k) relevant documents.
    public static func ndcg(_ judgement: Judgement, at k: Int) -> Double {
        let ideal = (0..<min(judgement.targetRanks.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        guard ideal > 0 else { return 0 }
        let gained = judgement.relevantRanks.filter { $0 <= k }.reduce(0.0) { $0 + 1 / log2(Double($1) + 1) }
        return gained / ideal
    }

    /// The mean of `values`, or nil for none.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}

/// The 50th, 95th and 99th percentiles of a set of latencies in milliseconds (nearest rank).
public struct LatencySummary: Sendable, Codable, Equatable {
    public var p50: Double
    public var p95: Double
    public var p99: Double

    public init(p50: Double, p95: Double, p99: Double) {
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }

    /// Nearest-rank percentiles; all zero for no samples.
    public init(_ samples: [Double]) {
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
            return (sorted[min(index, sorted.count - 1)] * 1000).rounded() / 1000
        }
        self.init(p50: percentile(50), p95: percentile(95), p99: percentile(99))
    }
}
