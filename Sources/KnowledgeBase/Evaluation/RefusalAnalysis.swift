/// How well refusals separate questions the runbooks answer from those they do not.
///
/// Either each question's refusal is given (the rule a query applies), or a question is refused when its top
/// score is below the minimum score.
public struct RefusalAnalysis: Sendable, Equatable {
    /// Questions refused.
    public var refused: Int
    /// Unanswerable questions refused (the right call).
    public var correctRefusals: Int
    public var unanswerable: Int
    /// Answerable questions refused (a wrong call).
    public var answerableRefused: Int
    /// Share of refusals that were unanswerable questions; nil when nothing was refused.
    public var precision: Double?
    /// Share of unanswerable questions refused; nil when there are none.
    public var recall: Double?
    /// The threshold that best separates the two groups by top score (balanced accuracy, then the widest gap);
    /// nil without both answerable and unanswerable questions.
    public var suggestedMinScore: Double?

    /// Analyses `(answerable, topScore)` pairs at `minScore`; a question with no hit at all has top score nil.
    public init(_ questions: [(answerable: Bool, topScore: Float?)], minScore: Float) {
        self.init(questions.map { ($0.answerable, $0.topScore, $0.topScore.map { $0 < minScore } ?? true) })
    }

    /// Analyses questions whose refusal was decided already; the suggested minimum score still looks at top scores.
    public init(_ questions: [(answerable: Bool, topScore: Float?, refused: Bool)]) {
        refused = questions.filter(\.refused).count
        unanswerable = questions.filter { !$0.answerable }.count
        correctRefusals = questions.filter { !$0.answerable && $0.refused }.count
        answerableRefused = questions.filter { $0.answerable && $0.refused }.count
        precision = refused > 0 ? Double(correctRefusals) / Double(refused) : nil
        recall = unanswerable > 0 ? Double(correctRefusals) / Double(unanswerable) : nil
        suggestedMinScore = Self.separatingThreshold(questions.map { ($0.answerable, $0.topScore) })
    }

    static func separatingThreshold(_ questions: [(answerable: Bool, topScore: Float?)]) -> Double? {
        let answerable = questions.filter(\.answerable).map { Double($0.topScore ?? -1) }
        let unanswerable = questions.filter { !$0.answerable }.map { Double($0.topScore ?? -1) }
        guard !answerable.isEmpty, !unanswerable.isEmpty else { return nil }
        let scores = Array(Set(answerable + unanswerable)).sorted()
        // Candidates sit halfway between neighbouring scores, plus just outside both ends.
        var candidates: [(threshold: Double, gap: Double)] = [(scores[0] - 0.01, 0)]
        for (low, high) in zip(scores, scores.dropFirst()) { candidates.append(((low + high) / 2, high - low)) }
        candidates.append((scores[scores.count - 1] + 0.01, 0))
        var best: (threshold: Double, accuracy: Double, gap: Double)?
        for candidate in candidates {
            let kept = Double(answerable.filter { $0 >= candidate.threshold }.count) / Double(answerable.count)
            let refused = Double(unanswerable.filter { $0 < candidate.threshold }.count) / Double(unanswerable.count)
            let accuracy = (kept + refused) / 2
            if let current = best, accuracy < current.accuracy + 1e-12
                && !(abs(accuracy - current.accuracy) < 1e-12 && candidate.gap > current.gap) {
                continue
            }
            best = (candidate.threshold, accuracy, candidate.gap)
        }
        return best.map { ($0.threshold * 1000).rounded() / 1000 }
    }
}
