import Foundation

extension EvalReport {
    /// The report for people: headline metrics per kind, refusals, latency, then every miss with what came back.
    public func text() -> String {
        var lines: [String] = []
        lines.append("\(questions) questions (\(answerable) answerable, \(unanswerable) unanswerable) · "
            + "\(settings.embedder) embedder \(settings.model) · \(settings.mode.map { "\($0.rawValue) search · " } ?? "")"
            + "\(settings.mode == .hybrid ? settings.fusion.map { "\($0.rawValue) fusion · " } ?? "" : "")"
            + "\(settings.k) documents per question · "
            + "min score \(Self.format(Double(settings.minScore)))")
        lines.append("")
        let kinds = QuestionKind.allCases.filter { $0 != .unanswerable && perKind[$0.rawValue] != nil }
        let columns = [("all (\(answerable))", KindMetrics(perQuestion))]
            + kinds.map { ("\($0.rawValue) (\(perKind[$0.rawValue]!.questions))", perKind[$0.rawValue]!) }
        let label = 24
        lines.append("".padding(toLength: label, withPad: " ", startingAt: 0)
            + columns.map { $0.0.leftAligned(14) }.joined())
        let rows: [(String, (KindMetrics) -> Double?)] = [
            ("recall@1", \.recallAt1), ("recall@5", \.recallAt5), ("recall@10", \.recallAt10),
            ("hit rate@1", \.hitRateAt1), ("hit rate@5", \.hitRateAt5), ("MRR@10", \.mrrAt10), ("nDCG@10", \.ndcgAt10),
            ("answer in top-5 chunks", \.answerInTop5Chunks), ("answer in context", \.answerInContext),
        ]
        for (name, value) in rows {
            lines.append(name.padding(toLength: label, withPad: " ", startingAt: 0)
                + columns.map { Self.format(value($0.1)).leftAligned(14) }.joined())
        }
        lines.append("")
        lines.append("refusals (\(refusalSetting)): \(refused) refused "
            + "(\(refused - answerableRefused) of \(unanswerable) unanswerable, \(answerableRefused) answerable); "
            + "precision \(Self.format(refusalPrecision)), recall \(Self.format(refusalRecall))")
        if let suggestedMinScore {
            lines.append("suggested min score: \(Self.format(suggestedMinScore)) "
                + "(the top cosine alone that best separates answerable from unanswerable questions)")
        }
        func triple(_ summary: LatencySummary) -> String {
            "\(Self.milliseconds(summary.p50))/\(Self.milliseconds(summary.p95))/\(Self.milliseconds(summary.p99))"
        }
        lines.append("latency ms p50/p95/p99: embed \(triple(latency.embed)) · search \(triple(latency.search)) · "
            + "total \(triple(LatencySummary(p50: latency.p50, p95: latency.p95, p99: latency.p99)))")
        let misses = perQuestion.filter { $0.kind != .unanswerable && ($0.firstRelevantRank ?? .max) > 5 }
        if !misses.isEmpty {
            lines.append("")
            lines.append("misses (no relevant document in the top 5):")
            for miss in misses { lines.append(contentsOf: describe(miss)) }
        }
        let wrongCalls = perQuestion.filter { ($0.kind == .unanswerable) != $0.refused }
        if !wrongCalls.isEmpty {
            lines.append("")
            lines.append("wrong refusal calls (\(refusalSetting)):")
            for result in wrongCalls {
                let evidence = "top cosine \(Self.format(result.topCosine ?? result.topScore))"
                    + (result.termCoverage.map { ", \(Int(($0 * 100).rounded())) % of its terms known" } ?? "")
                let verdict = result.refused
                    ? "\(evidence): would be refused although the runbooks answer it"
                    : "\(evidence): would be answered from " + (result.retrieved.first?.path ?? "?")
                lines.append("  \(result.id) [\(result.kind.rawValue)] \(result.question)")
                lines.append("      \(verdict)")
            }
        }
        if misses.isEmpty && wrongCalls.isEmpty { lines.append("\nno misses.") }
        return lines.joined(separator: "\n")
    }

    /// The refusal decision in words: the rule and the minimum score, or the minimum score alone.
    public var refusalSetting: String {
        let minimum = "min score \(Self.format(Double(settings.minScore)))"
        return settings.refusalRule.map { "\($0), or no cosine ≥ \(Self.format(Double(settings.minScore)))" } ?? minimum
    }

    /// One line per report, for `kb eval --all-modes`: mode, rank metrics, refusals and search latency.
    public static func modeTable(_ reports: [EvalReport]) -> String {
        var lines = ["| mode | hit@1 | hit@5 | MRR@10 | refusal precision | refusal recall | answerable refused "
            + "| search p50 ms | search p95 ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for report in reports {
            let answerable = report.perQuestion.filter { $0.kind != .unanswerable }
            let hits1 = answerable.filter { $0.firstRelevantRank == 1 }.count
            let hits5 = answerable.filter { ($0.firstRelevantRank ?? .max) <= 5 }.count
            let cells = [report.settings.mode?.rawValue ?? "?", "\(hits1)/\(answerable.count)",
                         "\(hits5)/\(answerable.count)", format(report.mrrAt10), format(report.refusalPrecision),
                         format(report.refusalRecall), "\(report.answerableRefused)/\(answerable.count)",
                         milliseconds(report.latency.search.p50), milliseconds(report.latency.search.p95)]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private func describe(_ result: QuestionResult) -> [String] {
        let expected = zip(result.relevant, result.foundAt).map { target, rank in
            "\(target) (" + (rank.map { "found at rank \($0)" } ?? "not in the top \(max(settings.k, 10))") + ")"
        }
        var lines = ["  \(result.id) [\(result.kind.rawValue)] \(result.question)",
                     "      expected: " + expected.joined(separator: "; ")]
        for document in result.retrieved.prefix(3) {
            let heading = document.heading.isEmpty ? "" : " › \(document.heading)"
            lines.append("      got \(document.rank). \(document.path)\(heading) (\(Self.format(document.score)))")
        }
        return lines
    }

    static func format(_ value: Double?) -> String {
        value.map { String(format: "%.3f", $0) } ?? "–"
    }

    static func milliseconds(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value)
            : String(format: "%.2f", value)
    }
}

extension String {
    /// The string padded with spaces on the right to `width` (never cut).
    func leftAligned(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
