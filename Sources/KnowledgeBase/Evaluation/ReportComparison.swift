import Foundation

/// Deltas between an earlier report and this one, so a change of setting is a measured decision.
public struct ReportComparison: Sendable, Codable, Equatable {
    /// One headline figure before and after.
    public struct Delta: Sendable, Codable, Equatable {
        public var metric: String
        public var old: Double?
        public var new: Double?
        /// new − old, when both exist.
        public var delta: Double?
    }

    /// A question whose first relevant rank or refusal changed.
    public struct QuestionChange: Sendable, Codable, Equatable {
        public var id: String
        public var oldRank: Int?
        public var newRank: Int?
        public var oldRefused: Bool?
        public var newRefused: Bool?

        enum CodingKeys: String, CodingKey {
            case id
            case oldRank = "old_rank", newRank = "new_rank", oldRefused = "old_refused", newRefused = "new_refused"
        }
    }

    public var baseline: String
    public var oldSettings: String
    public var newSettings: String
    public var deltas: [Delta]
    public var questions: [QuestionChange]

    enum CodingKeys: String, CodingKey {
        case baseline, deltas, questions
        case oldSettings = "old_settings", newSettings = "new_settings"
    }

    /// Headline keys compared, in display order; dotted keys reach into `latency_ms`.
    public static let metrics = [
        "recall_at_1", "recall_at_5", "recall_at_10", "hit_rate_at_5", "mrr_at_10", "ndcg_at_10",
        "answer_in_top_5_chunks", "answer_in_context", "refusal_precision", "refusal_recall", "suggested_min_score",
        "latency_ms.p50", "latency_ms.p95", "latency_ms.embed.p50", "latency_ms.search.p50",
    ]

    /// Compares `report` with the earlier report stored at `path`.
    ///
    /// - Throws: `EvalError.cannotReadReport` when the file is missing or not a report.
    public init(baselinePath path: String, report: EvalReport) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw EvalError.cannotReadReport(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(baseline: data, named: path, report: report)
    }

    /// Compares `report` with an earlier report's JSON; unknown or missing keys compare as absent.
    public init(baseline data: Data, named name: String, report: EvalReport) throws {
        guard let old = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              old["questions"] != nil || old["per_question"] != nil
        else { throw EvalError.cannotReadReport(path: name, reason: "it is not a JSON evaluation report") }
        let new = try JSONSerialization.jsonObject(with: report.json()) as? [String: Any] ?? [:]
        baseline = name
        oldSettings = Self.describeSettings(old["settings"])
        newSettings = Self.describeSettings(new["settings"])
        deltas = Self.metrics.map { key in
            let before = Self.number(old, key)
            let after = Self.number(new, key)
            let delta = before.flatMap { b in after.map { EvalReport.round($0 - b) } }
            return Delta(metric: key, old: before, new: after, delta: delta)
        }
        let oldQuestions = (old["per_question"] as? [[String: Any]] ?? []).reduce(into: [String: [String: Any]]()) {
            if let id = $1["id"] as? String { $0[id] = $1 }
        }
        questions = report.perQuestion.compactMap { result in
            guard let before = oldQuestions[result.id] else { return nil }
            let oldRank = (before["first_relevant_rank"] as? NSNumber)?.intValue
            let oldRefused = (before["refused"] as? NSNumber)?.boolValue
            guard oldRank != result.firstRelevantRank || (oldRefused != nil && oldRefused != result.refused) else {
                return nil
            }
            return QuestionChange(id: result.id, oldRank: oldRank, newRank: result.firstRelevantRank,
                                  oldRefused: oldRefused, newRefused: result.refused)
        }
    }

    private static func number(_ object: [String: Any], _ dottedKey: String) -> Double? {
        var current: Any? = object
        for part in dottedKey.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        return (current as? NSNumber)?.doubleValue
    }

    private static func describeSettings(_ value: Any?) -> String {
        guard let settings = value as? [String: Any] else { return "unknown settings" }
        let embedder = settings["embedder"] as? String ?? "?"
        let model = settings["model"] as? String ?? "?"
        let k = (settings["k"] as? NSNumber).map { "k \($0)" } ?? "k ?"
        let minScore = (settings["min_score"] as? NSNumber).map { String(format: "min score %.3f", $0.doubleValue) }
        let mode = (settings["mode"] as? String).map { ", \($0) search" } ?? ""
        return "\(embedder) \(model)\(mode), \(k), \(minScore ?? "min score ?")"
    }

    /// The comparison for people: one line per figure, then the questions that moved.
    public func text() -> String {
        var lines = ["compared with \(baseline)", "  before: \(oldSettings)", "  now:    \(newSettings)", ""]
        lines.append("metric".leftAligned(24) + "before".leftAligned(10) + "now".leftAligned(10) + "change")
        for delta in deltas where delta.old != nil || delta.new != nil {
            let change = delta.delta.map { $0 == 0 ? "=" : String(format: "%+.3f", $0) } ?? "–"
            lines.append(delta.metric.leftAligned(24) + EvalReport.format(delta.old).leftAligned(10)
                + EvalReport.format(delta.new).leftAligned(10) + change)
        }
        if !questions.isEmpty {
            lines.append("")
            lines.append("questions that moved (first relevant document rank, refusal):")
            for change in questions {
                let rank = { (value: Int?) in value.map(String.init) ?? "none" }
                var line = "  \(change.id): rank \(rank(change.oldRank)) → \(rank(change.newRank))"
                if let before = change.oldRefused, let after = change.newRefused, before != after {
                    line += after ? ", now refused" : ", no longer refused"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
