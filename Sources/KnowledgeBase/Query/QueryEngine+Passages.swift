/// One result of a query before it is numbered: the hit as printed, and the document it belongs to.
struct Passage: Sendable {
    var hit: QueryHit
    var documentID: Int64
}

extension QueryEngine {
    /// The results of `retrieval`, in prompt order: hits at the minimum score (any score in keyword mode) whose
    /// chunk the store still holds, copies of one passage folded into one result (`DuplicateCollapse`), at most
    /// `options.k`; then, with `ContextMode.sections`, the sections of their runbooks that `ContextAssembler` adds
    /// within the prompt's budget. Call it under the catalog's read lock, with the index `retrieval` came from.
    func passages(_ retrieval: Retrieval, question: String, vector: [Float], index: VectorIndex?,
                  options: QueryOptions, minScore: Float) throws -> [Passage]
    {
        let records = retrieval.records
        // Keyword scores are BM25, on another scale: the cosine minimum applies to vector and hybrid hits only.
        // A chunk the store no longer holds (its document was replaced after the search) is left out.
        let kept = retrieval.hits.filter {
            (options.mode == .keyword || $0.score >= minScore) && records[$0.chunkID] != nil
        }
        let groups = DuplicateCollapse.collapse(kept, records: records, limit: options.k) { ids in
            index?.rows(of: ids) ?? [:]
        }
        var passages = groups.map { group in
            let chunk = records[group.hit.chunkID]!
            let copies = group.copies.compactMap { records[$0.chunkID] }.map {
                DuplicateCopy(path: $0.path, heading: $0.heading, lines: [$0.firstLine, $0.lastLine])
            }
            return Passage(hit: QueryHit(rank: 0, chunkID: chunk.id, path: chunk.path, heading: chunk.heading,
                                         score: group.hit.score, text: chunk.text,
                                         lines: [chunk.firstLine, chunk.lastLine],
                                         alsoIn: copies.isEmpty ? nil : copies, included: .retrieved),
                           documentID: group.hit.documentID)
        }
        guard options.context == .sections, !groups.isEmpty else { return passages }
        let retrieved = groups.map { records[$0.hit.chunkID]! }
        var chunks: [Int64: [ChunkRecord]] = [:]
        for document in Set(retrieved.map(\.documentID)) {
            chunks[document] = try catalog.store.chunks(documentID: document)
        }
        let blocks = ContextAssembler(budget: promptBuilder.contextTokens)
            .assemble(question: question, retrieved: retrieved, chunks: chunks)
            .filter { $0.inclusion != .retrieved }
        let cosines = try index?.scores(of: Set(blocks.map(\.chunk.id)), query: vector) ?? [:]
        passages += blocks.map { block in
            let chunk = block.chunk
            return Passage(hit: QueryHit(rank: 0, chunkID: chunk.id, path: chunk.path, heading: chunk.heading,
                                         score: cosines[chunk.id] ?? 0, text: chunk.text,
                                         lines: [chunk.firstLine, chunk.lastLine], included: block.inclusion),
                           documentID: chunk.documentID)
        }
        return passages
    }
}
