/// A keyword hit: a chunk and its BM25 score (higher is better).
public struct KeywordHit: Sendable, Equatable {
    public var chunkID: Int64
    public var documentID: Int64
    public var score: Double
}

/// One searchable term of a question (a word, or an identifier's parts as a phrase) and how common it is.
public struct QueryTerm: Sendable, Equatable {
    public var phrase: String
    /// Chunks containing the term, counted up to a limit: a count at the limit means at least that many.
    public var chunkCount: Int
    /// Some chunk contains the term (for a phrase: its words in order).
    public var found: Bool { chunkCount > 0 }

    public init(phrase: String, chunkCount: Int) {
        self.phrase = phrase
        self.chunkCount = chunkCount
    }
}

extension SQLiteStore {
    /// See `StoreLimits.keywordPostingBudget`.
    public static let keywordPostingBudget = StoreLimits.keywordPostingBudget

    /// Counting stops at `countLimit`, so a common word costs about a millisecond however many chunks hold it (a
    /// full count, or an `fts5vocab` lookup, reads its whole posting list: 10 ms and more per word at a million
    /// chunks).
    public func termCounts(_ phrases: [String], countLimit: Int) throws -> [Int] {
        guard !phrases.isEmpty else { return [] }
        return try withReader { connection in
            let count = try connection.prepare(
                "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)")
            return try phrases.map { phrase in
                count.reset()
                return try count.bind(.text("\"\(phrase)\""), .int(countLimit)).step() ? Int(count.int(0)) : 0
            }
        }
    }

    /// The best `limit` chunks for `terms` by BM25, searching only the terms that fit `postingBudget`.
    ///
    /// FTS5 scores every row that matches any term of an OR query before it can sort, so a common word over a
    /// million chunks costs more than the vector scan. Terms are taken rarest first while their chunk counts add
    /// up to at most `postingBudget`; the rest (whose BM25 weight is small anyway) are left out, and a question
    /// made only of very common words finds nothing by keyword. Terms found nowhere are skipped.
    public func keywordSearch(terms: [QueryTerm], limit: Int, pathPrefix: String?, documentIDs: Set<Int64>?,
                              contextWeight: Double, postingBudget: Int) throws -> [KeywordHit]
    {
        var spent = 0
        var kept = Set<String>()
        for term in terms.filter(\.found).sorted(by: { $0.chunkCount < $1.chunkCount }) {
            guard spent + term.chunkCount <= postingBudget else { break }
            spent += term.chunkCount
            kept.insert(term.phrase)
        }
        guard limit > 0, let expression = FullText.matchExpression(terms.map(\.phrase).filter(kept.contains)) else {
            return []
        }
        return try withReader { connection in
            // bm25() is lower for better matches; kb reports it negated so that higher is better everywhere. Without
            // a path filter the FTS table is ranked alone and only the `limit` best rows are joined to their chunks.
            let statement: SQLiteStatement
            if pathPrefix != nil || documentIDs != nil {
                // Filters apply inside the ranking, so `limit` rows that pass them come back.
                let ids = documentIDs.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }
                statement = try connection.prepare("""
                    SELECT f.rowid, c.document_id, -bm25(chunks_fts, ?1, 1.0) AS score
                    FROM chunks_fts f JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id
                    WHERE chunks_fts MATCH ?2 AND (?3 IS NULL OR substr(d.path, 1, length(?3)) = ?3)
                    AND (?4 IS NULL OR c.document_id IN (SELECT value FROM json_each(?4)))
                    ORDER BY bm25(chunks_fts, ?1, 1.0) LIMIT ?5
                    """)
                try statement.bind(.real(contextWeight), .text(expression), pathPrefix.map { .text($0) } ?? .null,
                                   ids.map { .text($0) } ?? .null, .int(limit))
            } else {
                statement = try connection.prepare("""
                    SELECT f.id, c.document_id, -f.bm25_score FROM (
                        SELECT rowid AS id, bm25(chunks_fts, ?, 1.0) AS bm25_score FROM chunks_fts
                        WHERE chunks_fts MATCH ? ORDER BY bm25_score LIMIT ?
                    ) f JOIN chunks c ON c.id = f.id ORDER BY f.bm25_score, f.id
                    """)
                try statement.bind(.real(contextWeight), .text(expression), .int(limit))
            }
            var hits: [KeywordHit] = []
            while try statement.step() {
                hits.append(KeywordHit(chunkID: statement.int(0), documentID: statement.int(1), score: statement.double(2)))
            }
            return hits
        }
    }
}
