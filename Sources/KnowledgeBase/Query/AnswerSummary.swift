/// A citation resolved to the source it names.
public struct ResolvedCitation: Sendable, Codable, Equatable {
    public var number: Int
    public var path: String
    public var heading: String
}

/// What is reported after an answer: its citations checked against the sources given, and timings.
public struct AnswerSummary: Sendable {
    public var citations: [ResolvedCitation]
    /// Numbers the answer cites that were not among the sources; flagged and dropped.
    public var invalidCitations: [Int]
    /// Milliseconds: `embed`, `search`, `total`, and `first_token` once a token arrived.
    public var timings: [String: Double]
}

extension PreparedAnswer {
    /// Checks the citations of `answer` and measures from `started` (to now and to the first token).
    public func summary(answer: String, started: ContinuousClock.Instant, firstToken: ContinuousClock.Instant?)
        -> AnswerSummary
    {
        let parsed = Citations.parse(answer, sourceNumbers: sourceNumbers)
        let byNumber = Dictionary(uniqueKeysWithValues: query.results.map { ($0.rank, $0) })
        var timings = ["embed": query.timings.embed, "search": query.timings.search,
                       "total": started.duration(to: .now).millisecondsDouble]
        if let firstToken { timings["first_token"] = started.duration(to: firstToken).millisecondsDouble }
        return AnswerSummary(
            citations: parsed.valid.compactMap { number in
                byNumber[number].map { ResolvedCitation(number: number, path: $0.path, heading: $0.heading) }
            },
            invalidCitations: parsed.invalid, timings: timings)
    }
}
