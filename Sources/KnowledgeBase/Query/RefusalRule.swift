/// What the refusal decision looks at for one question.
public struct RefusalEvidence: Sendable, Codable, Equatable {
    /// The best cosine between the question and a candidate chunk (vector and hybrid: the best in the index;
    /// keyword: the best among the keyword candidates); nil when there is no candidate.
    public var topCosine: Float?
    /// Share of the question's searchable terms that occur somewhere in the knowledge base, as written or in a
    /// normalised form among the best candidates (0 with no term).
    public var termCoverage: Double
    /// Searchable terms in the question (stop words dropped).
    public var terms: Int
    /// The question names a candidate runbook (its file name or title, e.g. a pasted alert name).
    public var namesRunbook: Bool

    public init(topCosine: Float?, termCoverage: Double, terms: Int, namesRunbook: Bool = false) {
        self.topCosine = topCosine
        self.termCoverage = termCoverage
        self.terms = terms
        self.namesRunbook = namesRunbook
    }

    /// Evidence from a best cosine and the question's terms: a term counts as known when the knowledge base holds
    /// it, or when `known` (the stems of the best candidates' words, `TermNormaliser`) covers it, so "losing" is known
    /// from "lose", "maxed" from `KubeHpaMaxedOut`, "HPA" from "horizontal pod autoscaler". `known` is asked only
    /// when some term is not found as written.
    public init(topCosine: Float?, terms: [QueryTerm], namesRunbook: Bool = false,
                known: () -> Set<String> = { [] }) {
        var found = terms.filter(\.found).count
        if found < terms.count {
            let stems = known()
            found += terms.filter { !$0.found && TermNormaliser.covered($0.phrase, known: stems) }.count
        }
        self.init(topCosine: topCosine, termCoverage: terms.isEmpty ? 0 : Double(found) / Double(terms.count),
                  terms: terms.count, namesRunbook: namesRunbook)
    }

    /// True when kb should say the runbooks do not cover the question: no candidate reaches `minScore`, or
    /// `rule` (when given) judges the evidence too weak. A question that names a runbook is not refused by the
    /// rule: a pasted alert carries host names and label values the runbooks never contain, which lowers its
    /// coverage although the named runbook answers it. `kb query`, `kb ask`, HTTP and `kb eval` all decide here.
    public func refused(minScore: Float, rule: RefusalRule?) -> Bool {
        guard let topCosine, topCosine >= minScore else { return true }
        guard !namesRunbook else { return false }
        return rule.map { $0.logit(self) < 0 } ?? false
    }

    enum CodingKeys: String, CodingKey {
        case terms
        case topCosine = "top_cosine", termCoverage = "term_coverage", namesRunbook = "names_runbook"
    }
}

/// A logistic rule over the best cosine and the question's term coverage: refuse when
/// `cosineWeight·cosine + coverageWeight·coverage + bias < 0`.
///
/// Top cosine alone does not separate answerable from unanswerable questions well: a question about a product
/// the runbooks never mention can still land near a generic passage. Such questions also use words the
/// knowledge base has never seen (`Karpenter`, `pg_dump`, `CloudFront`), which answerable questions rarely do,
/// so the two signals together separate them better than either alone.
public struct RefusalRule: Sendable, Codable, Equatable, CustomStringConvertible {
    public var cosineWeight: Double
    public var coverageWeight: Double
    public var bias: Double

    public init(cosineWeight: Double, coverageWeight: Double, bias: Double) {
        self.cosineWeight = cosineWeight
        self.coverageWeight = coverageWeight
        self.bias = bias
    }

    /// The rule's score: positive means answer, negative means refuse.
    public func logit(_ evidence: RefusalEvidence) -> Double {
        guard let cosine = evidence.topCosine else { return -.infinity }
        return cosineWeight * Double(cosine) + coverageWeight * evidence.termCoverage + bias
    }

    // Constants fitted by Scripts/retrieval_lab.py (class-balanced logistic regression) on Tests/Eval/refusal.jsonl
    // (40 answerable, 36 unanswerable questions over ../shared/eval/corpus), then checked on dev.jsonl and
    // heldout.jsonl, which played no part in the fit. Cosine scales differ by model, so each model has its own.

    /// all-MiniLM-L6-v2 (the built-in embedder and Ollama's `all-minilm`).
    public static let allMiniLM = RefusalRule(cosineWeight: 14.76, coverageWeight: 13.37, bias: -18.49)
    /// The hash embedder.
    public static let hash = RefusalRule(cosineWeight: 17.63, coverageWeight: 12.73, bias: -15.95)

    /// Chunks a knowledge base needs before the rule applies. Term coverage means something only over a vocabulary
    /// of some size: on random tenths of the eval corpus (165–193 chunks) the rule refused 2 of 30 answerable
    /// questions, on twentieths (84–96 chunks) 5 of 18, as everyday words ("fail", "over") go missing too.
    public static let minimumChunks = 200

    /// The fitted rule for the model behind `fingerprint`; nil for a model without one (the minimum score alone
    /// then decides).
    public static func fitted(for fingerprint: EmbeddingFingerprint) -> RefusalRule? {
        switch fingerprint.identity {
        case EmbeddingFingerprint.identity(embedder: "ollama", model: "all-minilm"): .allMiniLM
        case EmbeddingFingerprint.identity(embedder: "hash", model: "hash-v1"): .hash
        default: nil
        }
    }

    public var description: String {
        func number(_ value: Double) -> String { String(format: "%.2f", value) }
        return "refuse when \(number(cosineWeight))·cosine + \(number(coverageWeight))·coverage "
            + "\(bias < 0 ? "−" : "+") \(number(abs(bias))) < 0"
    }

    enum CodingKeys: String, CodingKey {
        case bias
        case cosineWeight = "cosine_weight", coverageWeight = "coverage_weight"
    }
}

/// Which refusal rule a query uses.
public enum RefusalPolicy: String, Sendable, Codable, CaseIterable {
    /// The rule fitted for the embedding model (and the minimum score) once the knowledge base holds
    /// `RefusalRule.minimumChunks`; the minimum score alone for other models and smaller knowledge bases.
    case rule
    /// Only the minimum score: refuse when no candidate's cosine reaches it.
    case minScore = "min-score"

    /// The rule this policy applies for `fingerprint` on a knowledge base of `chunks` chunks.
    public func rule(for fingerprint: EmbeddingFingerprint, chunks: Int) -> RefusalRule? {
        guard self == .rule, chunks >= RefusalRule.minimumChunks else { return nil }
        return RefusalRule.fitted(for: fingerprint)
    }
}
