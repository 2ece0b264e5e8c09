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

    @Option(help: ArgumentHelp("Prompt context: sections (the k passages, then the Mitigation/Steps/Diagnosis sections "
                               + "of their runbooks for how-to questions, or whole small runbooks, within the token "
                               + "budget; default) or retrieved (the k passages alone).", valueName: "mode"))
    var context: ContextMode = .sections

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Only search runbooks whose metadata (front matter) has key=value: a scalar equal to the value, or a list "
            + "containing it. Repeat for several conditions (all must hold); applied inside the search.",
        valueName: "key=value"))
    var filters: [String] = []

    func validate() throws {
        for filter in filters { _ = try parsedFilter(filter) }
    }

    private func parsedFilter(_ text: String) throws -> MetadataFilter {
        do { return try MetadataFilter(parsing: text) } catch { throw ValidationError("--where \(error)") }
    }

    /// Query options with these retrieval settings.
    func queryOptions(k: Int, minScore: Float?, pathPrefix: String? = nil) -> QueryOptions {
        var options = QueryOptions(k: k, minScore: minScore, pathPrefix: pathPrefix, mode: mode, fusion: fusion,
                                   refusal: refusal)
        options.filters = filters.compactMap { try? parsedFilter($0) }
        options.context = context
        return options
    }
}
