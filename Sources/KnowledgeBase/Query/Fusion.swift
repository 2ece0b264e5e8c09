import Foundation

/// How hybrid search merges the vector and keyword candidate lists.
public enum FusionMethod: String, Sendable, Codable, CaseIterable {
    /// Reciprocal rank fusion: each list adds 1/(k + rank); scores of the two retrievers are never compared.
    case rrf
    /// A weighted sum of scores min-max normalised within each candidate list.
    case weighted
}

/// One fused candidate: the chunk (its score is its cosine) and its fused score.
struct FusedCandidate: Sendable, Equatable {
    var hit: Hit
    var fused: Float
}

/// The fusion formulas, kept free of I/O so they can be tested alone.
enum Fusion {
    /// The rank constant of reciprocal rank fusion. Cormack et al. use 60; 20 measured as well or better on all
    /// three question sets (Scripts/retrieval_lab.py), and 10 worse.
    static let rrfK: Float = 20
    /// Weight of the normalised cosine in weighted fusion (BM25 gets the rest); 0.4–0.6 measured alike.
    static let weightedAlpha: Float = 0.5

    /// Fuses `semantic` (best first, scores are cosines) and `lexical` (best first, BM25) candidates.
    ///
    /// - Parameter cosines: cosines of lexical candidates missing from `semantic`; a chunk without one is dropped.
    static func fuse(_ method: FusionMethod, semantic: [Hit], lexical: [KeywordHit], cosines: [Int64: Float])
        -> [Int64: FusedCandidate]
    {
        var fused: [Int64: FusedCandidate] = [:]
        switch method {
        case .rrf:
            for (rank, hit) in semantic.enumerated() {
                fused[hit.chunkID] = FusedCandidate(hit: hit, fused: 1 / (rrfK + Float(rank + 1)))
            }
            for (rank, hit) in lexical.enumerated() {
                add(hit, 1 / (rrfK + Float(rank + 1)), to: &fused, cosines: cosines)
            }
        case .weighted:
            let low = semantic.map(\.score).min() ?? 0
            let high = semantic.map(\.score).max() ?? 0
            for hit in semantic {
                let normalised = high > low ? (hit.score - low) / (high - low) : 1
                fused[hit.chunkID] = FusedCandidate(hit: hit, fused: weightedAlpha * normalised)
            }
            let bm25Low = lexical.map(\.score).min() ?? 0
            let bm25High = lexical.map(\.score).max() ?? 0
            for hit in lexical {
                let normalised = bm25High > bm25Low ? Float((hit.score - bm25Low) / (bm25High - bm25Low)) : 1
                add(hit, (1 - weightedAlpha) * normalised, to: &fused, cosines: cosines)
            }
        }
        return fused
    }

    private static func add(_ hit: KeywordHit, _ contribution: Float, to fused: inout [Int64: FusedCandidate],
                            cosines: [Int64: Float]) {
        if let existing = fused[hit.chunkID] {
            fused[hit.chunkID]?.fused = existing.fused + contribution
        } else if let cosine = cosines[hit.chunkID] {
            fused[hit.chunkID] = FusedCandidate(hit: Hit(chunkID: hit.chunkID, documentID: hit.documentID, score: cosine),
                                                fused: contribution)
        }
    }

    /// What a question naming a runbook adds to that runbook's chunks: as much as first place in one list, as if
    /// a third retriever ranked the named runbook first.
    static func nameBoost(_ method: FusionMethod) -> Float {
        method == .rrf ? 1 / (rrfK + 1) : max(weightedAlpha, 1 - weightedAlpha)
    }

    /// Candidates best first: by fused score, then cosine, then chunk id.
    static func ordered(_ candidates: some Sequence<FusedCandidate>) -> [Hit] {
        candidates.sorted { $0.fused != $1.fused ? $0.fused > $1.fused : $0.hit.ranksBefore($1.hit) }.map(\.hit)
    }
}

/// Runbooks a question names: an alert name or identifier in the question equal to a runbook's file name or title.
///
/// On-call engineers paste alert names (`etcdMembersDown`, `KubeletTooManyPods`), and a runbook's file name or
/// first heading is usually exactly that name, so such a match is strong evidence of the right runbook.
struct DocumentNames {
    /// Identifier-like words of the question, lower-cased: camelCase or CamelCase, or containing `_`, 4+ characters.
    let identifiers: Set<String>
    /// The question, lower-cased, for multi-word titles ("Node Network Receive Errors").
    let question: String

    init(question: String) {
        self.question = question.lowercased()
        var identifiers = Set<String>()
        for token in question.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") }) {
            let word = token.trimmingCharacters(in: CharacterSet(charactersIn: "._-"))
            guard word.count >= 4 else { continue }
            if word.contains("_") || Self.hasInnerCapital(Substring(word)) { identifiers.insert(word.lowercased()) }
        }
        self.identifiers = identifiers
    }

    /// True when the question names the document at `path` whose chunk has heading path `heading`.
    ///
    /// Called for every hybrid candidate, so it finds the file name and title on the UTF-8 bytes (the separators
    /// are ASCII, or the ASCII-bounded " › ") and builds a lower-cased string only when it has to compare one.
    func names(path: String, heading: String) -> Bool {
        let bytes = path.utf8
        let start = bytes.lastIndex(of: UInt8(ascii: "/")).map(bytes.index(after:)) ?? bytes.startIndex
        let end = bytes[start...].lastIndex(of: UInt8(ascii: ".")) ?? bytes.endIndex
        if !identifiers.isEmpty, identifiers.contains(path[start..<end].lowercased()) { return true }
        var title = heading[...]
        if let separator = title.firstIndex(ofUTF8: Self.pathSeparator) { title = title[..<separator] }
        if let bracket = title.firstIndex(ofUTF8: Self.bracket) { title = title[..<bracket] }
        while title.first?.isWhitespace == true { title = title.dropFirst() }
        while title.last?.isWhitespace == true { title = title.dropLast() }
        guard !title.isEmpty else { return false }
        var words = 0
        var inWord = false
        for byte in title.utf8 {
            if byte == 0x20 {
                inWord = false
            } else if !inWord {
                inWord = true
                words += 1
            }
        }
        if !identifiers.isEmpty {
            let lowered = title.lowercased()
            if identifiers.contains(lowered) || identifiers.contains(lowered.replacing(" ", with: "")) { return true }
        }
        // A title of three or more words counts when the question contains it as a phrase.
        return words >= 3 && question.contains(title.lowercased())
    }

    private static let pathSeparator = Array(" › ".utf8)
    private static let bracket = Array(" [".utf8)

    // "etcdMembersDown", "CPUThrottlingHigh": a capital after the first letter that follows or precedes a
    // lower-case letter (plain capitalised words such as "Redis" do not count).
    private static func hasInnerCapital(_ word: Substring) -> Bool {
        let characters = Array(word)
        for index in characters.indices.dropFirst() where characters[index].isUppercase {
            if characters[index - 1].isLowercase { return true }
            if index + 1 < characters.count, characters[index + 1].isLowercase, characters[index - 1].isUppercase {
                return true
            }
        }
        return false
    }
}
