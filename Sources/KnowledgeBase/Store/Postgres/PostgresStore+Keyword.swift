import Foundation

extension PostgresStore {
    public func termCounts(_ phrases: [String], countLimit: Int) throws -> [Int] {
        let searchable = phrases.enumerated().map { ($0.offset, PostgresText.words($0.element)) }
            .filter { !$0.1.isEmpty }
        var counts = [Int](repeating: 0, count: phrases.count)
        guard !searchable.isEmpty else { return counts }
        // One statement (one round trip) counting every term, each only up to the limit.
        var values: [PostgresValue] = [.int(countLimit)]
        var columns: [String] = []
        for (_, words) in searchable {
            values.append(.text(words))
            columns.append("(SELECT count(*) FROM (SELECT 1 FROM chunks WHERE terms @@ phraseto_tsquery('simple', "
                + "$\(values.count)) LIMIT $1) s)")
        }
        let row = try withConnection { try $0.query("SELECT " + columns.joined(separator: ", "), values) }
        for (column, term) in searchable.enumerated() { counts[term.0] = Int(row.int(0, column)) }
        return counts
    }

    /// BM25's term weighting over PostgreSQL's full-text index: each kept term contributes its inverse document
    /// frequency (from the chunk counts `queryTerms` measured) times `ts_rank` of the term alone, which counts its
    /// occurrences with the context weighted `contextWeight` times the text and divides by the chunk's length.
    public func keywordSearch(terms: [QueryTerm], limit: Int, pathPrefix: String?, documentIDs: Set<Int64>?,
                              contextWeight: Double, postingBudget: Int) throws -> [KeywordHit]
    {
        var spent = 0
        var kept: [QueryTerm] = []
        for term in terms.filter(\.found).sorted(by: { $0.chunkCount < $1.chunkCount }) {
            guard spent + term.chunkCount <= postingBudget else { break }
            spent += term.chunkCount
            kept.append(term)
        }
        guard limit > 0, !kept.isEmpty else { return [] }
        return try withConnection { connection in
            // The planner's row estimate (kept current by autovacuum) is close enough for term weights and costs
            // nothing; a table never analysed yet (-1) is small enough to count.
            let estimate = try Self.scalar(connection,
                "SELECT greatest(reltuples, -1)::bigint FROM pg_class WHERE oid = 'chunks'::regclass")
            let total = Double(max(1, estimate >= 0 ? estimate : try Self.scalar(connection, "SELECT count(*) FROM chunks")))
            // Weights are {D, C, B, A}: text is B, context A.
            let weights = "'{0, 0, \(1 / max(contextWeight, 1e-6)), 1}'::real[]"
            var values: [PostgresValue] = []
            var score: [String] = []
            var any: [String] = []
            for term in kept {
                values.append(.text(PostgresText.words(term.phrase)))
                let query = "phraseto_tsquery('simple', $\(values.count))"
                let count = Double(term.chunkCount)
                let idf = log((total - count + 0.5) / (count + 0.5) + 1)
                score.append("\(idf) * ts_rank(\(weights), c.terms, \(query), 1)")
                any.append(query)
            }
            var filters = ""
            if let pathPrefix {
                values.append(.text(pathPrefix))
                filters += " AND left(d.path, length($\(values.count))) = $\(values.count)"
            }
            if let documentIDs {
                values.append(.integers(Array(documentIDs)))
                filters += " AND c.document_id = ANY($\(values.count)::bigint[])"
            }
            values.append(.int(limit))
            let rows = try connection.query("""
                SELECT c.id, c.document_id, (\(score.joined(separator: " + "))) AS score
                FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.terms @@ (\(any.joined(separator: " || ")))\(filters)
                ORDER BY score DESC, c.id LIMIT $\(values.count)
                """, values)
            return (0..<rows.rows).map {
                KeywordHit(chunkID: rows.int($0, 0), documentID: rows.int($0, 1), score: rows.double($0, 2))
            }
        }
    }
}
