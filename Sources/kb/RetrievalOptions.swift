import ArgumentParser
import KnowledgeBase

/// How candidates are found, fused and refused: the same three options on `kb query`, `kb ask` and `kb eval`.
struct RetrievalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Search mode: hybrid (vector and BM25 fused, default), vector or keyword.",
                               valueName: "mode"))
    var mode: SearchMode = .hybrid

    @Option(help: ArgumentHelp("Fusion of hybrid search: rrf (reciprocal rank, default) or weighted (normalised "
                               + "scores).", valueName: "method"))
    var fusion: FusionMethod = .rrf

    @Option(help: ArgumentHelp("Refusal decision: rule (fitted over top cosine and term coverage, default) or "
                               + "min-score (no source reaches the minimum score).", valueName: "policy"))
    var refusal: RefusalPolicy = .rule

    /// Query options with these retrieval settings.
    func queryOptions(k: Int, minScore: Float?, pathPrefix: String? = nil) -> QueryOptions {
        QueryOptions(k: k, minScore: minScore, pathPrefix: pathPrefix, mode: mode, fusion: fusion, refusal: refusal)
    }
}
