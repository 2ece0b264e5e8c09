/// What retrieval found for one question, before the minimum score and k are applied.
struct Retrieval: Sendable {
    /// Chunks best first; scores are cosines (vector, hybrid) or BM25 (keyword).
    var hits: [Hit]
    /// Stored chunks of `hits` (and of any other candidate looked at).
    var records: [Int64: ChunkRecord]
    var evidence: RefusalEvidence
}

extension QueryEngine {
    /// Candidates per retriever in hybrid search, at least; enough that fusion can lift a chunk one retriever
    /// ranks low, and bounded so a query stays fast at a million chunks (100 and 200 measured no better).
    static let hybridCandidates = 50

    /// Candidates vector and keyword search return for `k` results: enough that k remain after duplicate collapse.
    static func collapseDepth(_ k: Int) -> Int { k * 3 }

    /// Hits whose words the refusal evidence looks at (a runbook named in words, term coverage).
    static let evidenceHits = 10

    /// Finds candidates for `question` in `options.mode`, best first, with the evidence for the refusal decision.
    ///
    /// Hybrid search fuses the best `hybridCandidates` (at least 4·k) chunks by cosine and by BM25, then lifts the
    /// chunks of any runbook the question names (`DocumentNames`). Vector and keyword search look for a named
    /// runbook among their own candidates only, for the refusal decision. Call it under the catalog's read lock;
    /// with the loaded index's `sequence`, the question's word counts come from the catalog's `termCounts`.
    func retrieve(_ vector: [Float], question: String, index: VectorIndex?, options: QueryOptions,
                  sequence: Int64? = nil) throws -> Retrieval {
        let store = catalog.store
        let terms = try store.queryTerms(question) { phrases, limit in
            guard let sequence else { return try store.termCounts(phrases, countLimit: limit) }
            return try catalog.termCounts.counts(phrases, limit: limit, sequence: sequence) {
                try store.termCounts($0, countLimit: $1)
            }
        }
        guard let index else {
            return Retrieval(hits: [], records: [:], evidence: RefusalEvidence(topCosine: nil, terms: terms))
        }
        let documents = options.filters.isEmpty ? nil : try store.documentIDs(matching: options.filters)
        let filter = SearchFilter(pathPrefix: options.pathPrefix, documentIDs: documents)
        let names = DocumentNames(question: question)
        func named(_ records: [Int64: ChunkRecord]) -> Bool {
            records.values.contains { names.names(path: $0.path, heading: $0.heading) }
        }
        // A runbook named in words ("the HPA is maxed out") counts when it is among the best hits; anywhere among
        // a hundred candidates, two common words would match too often.
        let concepts = TermNormaliser.concepts(TermNormaliser.words(question)
            .filter { !HashEmbedder.stopWords.contains($0) })
        func namedInWords(_ hits: [Hit], _ records: [Int64: ChunkRecord]) -> Bool {
            Set(hits.prefix(Self.evidenceHits).compactMap { records[$0.chunkID]?.path })
                .contains { TermNormaliser.names(path: $0, question: concepts) }
        }
        // The stems of the best hits' words, for term coverage (asked only when a term is not found as written).
        func known(_ hits: [Hit], _ records: [Int64: ChunkRecord]) -> () -> Set<String> {
            { catalog.chunkConcepts.concepts(of: hits.prefix(Self.evidenceHits).compactMap { records[$0.chunkID] }) }
        }
        switch options.mode {
        case .vector:
            // Deeper than k, so that k results remain once copies of one passage are folded together.
            let hits = try index.search(vector, k: Self.collapseDepth(options.k), filter: filter)
            let records = try store.chunks(ids: hits.map(\.chunkID))
            return Retrieval(hits: hits, records: records,
                             evidence: RefusalEvidence(topCosine: hits.first?.score, terms: terms,
                                                       namesRunbook: named(records) || namedInWords(hits, records),
                                                       known: known(hits, records)))
        case .keyword:
            let lexical = try store.keywordSearch(terms: terms, limit: max(options.k, Self.hybridCandidates),
                                                  pathPrefix: options.pathPrefix, documentIDs: documents)
            // The evidence comes from the keyword candidates a hybrid search would look at.
            let candidates = lexical.prefix(max(options.k, Self.hybridCandidates)).map(\.chunkID)
            let cosines = try index.scores(of: Set(candidates.prefix(Self.hybridCandidates)), query: vector)
            let records = try store.chunks(ids: candidates)
            let hits = lexical.prefix(Self.collapseDepth(options.k)).map {
                Hit(chunkID: $0.chunkID, documentID: $0.documentID, score: Float($0.score))
            }
            return Retrieval(hits: hits, records: records,
                             evidence: RefusalEvidence(topCosine: cosines.values.max(), terms: terms,
                                                       namesRunbook: named(records) || namedInWords(hits, records),
                                                       known: known(hits, records)))
        case .hybrid:
            let depth = max(Self.hybridCandidates, options.k * 4)
            let semantic = try index.search(vector, k: depth, filter: filter)
            let lexical = try store.keywordSearch(terms: terms, limit: depth, pathPrefix: options.pathPrefix,
                                                  documentIDs: documents)
            let missing = Set(lexical.map(\.chunkID)).subtracting(semantic.map(\.chunkID))
            var fused = Fusion.fuse(options.fusion, semantic: semantic, lexical: lexical,
                                    cosines: try index.scores(of: missing, query: vector))
            let records = try store.chunks(ids: Array(fused.keys))
            let boost = Fusion.nameBoost(options.fusion)
            var namesRunbook = false
            for (chunkID, record) in records where names.names(path: record.path, heading: record.heading) {
                fused[chunkID]?.fused += boost
                namesRunbook = true
            }
            let ordered = Fusion.ordered(fused.values)
            return Retrieval(hits: ordered, records: records,
                             evidence: RefusalEvidence(topCosine: semantic.first?.score, terms: terms,
                                                       namesRunbook: namesRunbook || namedInWords(ordered, records),
                                                       known: known(ordered, records)))
        }
    }
}
