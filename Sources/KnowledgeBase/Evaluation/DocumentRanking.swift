/// One chunk returned for a question, best first, with what is needed to judge it.
public struct RetrievedChunk: Sendable, Equatable {
    public var chunkID: Int64
    public var path: String
    public var heading: String
    public var score: Float
    public var text: String

    public init(chunkID: Int64, path: String, heading: String, score: Float, text: String = "") {
        self.chunkID = chunkID
        self.path = path
        self.heading = heading
        self.score = score
        self.text = text
    }
}

/// A distinct document in a ranking: its rank is that of its best chunk.
public struct RankedDocument: Sendable, Equatable {
    /// 1-based.
    public var rank: Int
    public var path: String
    /// Heading of its best chunk.
    public var heading: String
    public var score: Float
}

/// How a ranking fared against a question's targets.
public struct Judgement: Sendable, Equatable {
    /// For each target (in the question's order), the rank of the document where it was found, or nil.
    public var targetRanks: [Int?]
    /// Ranks of the documents that satisfy at least one target, ascending.
    public var relevantRanks: [Int]

    public init(targetRanks: [Int?]) {
        self.targetRanks = targetRanks
        self.relevantRanks = Set(targetRanks.compactMap { $0 }).sorted()
    }

    /// The rank of the first relevant document, or nil when none was retrieved.
    public var firstRelevantRank: Int? { relevantRanks.first }
}

/// Turns a chunk ranking into a document ranking and judges it against relevant targets.
public enum DocumentRanking {
    /// Distinct documents in order of their best chunk; `chunks` must be best first.
    ///
    /// Chunks scoring below `minScore` are dropped first, as a query would drop them.
    public static func documents(from chunks: [RetrievedChunk], minScore: Float? = nil) -> [RankedDocument] {
        var seen = Set<String>()
        var documents: [RankedDocument] = []
        for chunk in chunks where chunk.score >= (minScore ?? -.infinity) && !seen.contains(chunk.path) {
            seen.insert(chunk.path)
            documents.append(RankedDocument(rank: documents.count + 1, path: chunk.path, heading: chunk.heading,
                                            score: chunk.score))
        }
        return documents
    }

    /// Where each target was found: the rank of the document holding the best chunk that matches it.
    ///
    /// A path-only target is found at its document's rank; a `path#heading` target needs a matching chunk
    /// among `chunks`, and takes the rank of that chunk's document.
    public static func judge(_ chunks: [RetrievedChunk], targets: [RelevantTarget], minScore: Float? = nil,
                             depth: Int = .max) -> Judgement {
        let threshold = minScore ?? -.infinity
        var documentRank: [String: Int] = [:]
        for chunk in chunks where chunk.score >= threshold && documentRank[chunk.path] == nil {
            documentRank[chunk.path] = documentRank.count + 1
        }
        let ranks = targets.map { target -> Int? in
            for chunk in chunks where chunk.score >= threshold && target.matches(path: chunk.path, heading: chunk.heading) {
                guard let rank = documentRank[chunk.path], rank <= depth else { return nil }
                return rank
            }
            return nil
        }
        return Judgement(targetRanks: ranks)
    }
}
