import ArgumentParser
import Foundation
import KnowledgeBase

extension SearchMode: ExpressibleByArgument {}
extension FusionMethod: ExpressibleByArgument {}
extension RefusalPolicy: ExpressibleByArgument {}
extension ContextMode: ExpressibleByArgument {}

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Find the runbook passages that answer a question, and print them with the prompt built from them.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var ignoredBatching: IgnoredBatchOptions

    @Argument(help: "The question.")
    var question: String

    @Option(name: .short, help: ArgumentHelp("Passages retrieved (copies of one passage in other runbooks count once, "
                                             + "listed as also in); the context then adds sections of their runbooks "
                                             + "(--context).", valueName: "n"))
    var k: Int = 5

    @Option(help: ArgumentHelp("Minimum cosine score for a source (default: 0.10 for hash, 0.25 for ollama).",
                               valueName: "score"))
    var minScore: Float?

    @Option(help: ArgumentHelp("Only search documents whose path starts with this.", valueName: "prefix"))
    var pathPrefix: String?

    @OptionGroup var retrieval: RetrievalOptions

    @Flag(help: "Print sources, prompt and timings as JSON.")
    var json = false

    @Flag(help: "Leave the prompt out of the human-readable output.")
    var noPrompt = false

    func validate() throws {
        guard (1...100).contains(k) else { throw ValidationError("-k must be between 1 and 100.") }
        if let minScore, !(-1...1).contains(minScore) { throw ValidationError("--min-score must be between -1 and 1.") }
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("the question is empty.")
        }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let catalog = try global.openCatalog(logger: logger, create: false, precision: index.indexPrecision)
        let client = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger)
        let engine = QueryEngine(catalog: catalog, embedder: client, logger: logger)
        let options = retrieval.queryOptions(k: k, minScore: minScore, pathPrefix: pathPrefix)
        let result = try await engine.query(question, options: options)
        if json {
            try Output.printJSON(result)
            return
        }
        if client is HashEmbedder { print("(hash embedder: lexical matching of words, not meaning)\n") }
        if result.refused, let evidence = result.evidence {
            let cosine = evidence.topCosine.map { String(format: "%.3f", $0) } ?? "none"
            print("The runbooks do not appear to cover this question (best cosine \(cosine); "
                + "\(Int((evidence.termCoverage * 100).rounded())) % of its \(evidence.terms) search terms occur in them). "
                + "--refusal min-score shows the closest passages anyway.")
        } else if result.results.isEmpty {
            print("No runbook passage reached the minimum score: the runbooks do not appear to cover this question.")
        }
        for hit in result.results {
            let heading = hit.heading.isEmpty ? "" : " › \(hit.heading)"
            print("[\(hit.rank)] \(hit.path)\(heading)  (score \(String(format: "%.3f", hit.score)), "
                + "lines \(hit.lines[0])–\(hit.lines[1]))")
            let preview = hit.text.split(separator: "\n", omittingEmptySubsequences: true).prefix(3)
            for line in preview { print("    \(line.prefix(110))") }
            print("")
        }
        if !noPrompt {
            print("──── prompt ────\n\(result.prompt)\n────────────────")
        }
        print(String(format: "%@ search · embed %.1f ms · search %.2f ms · total %.1f ms", result.mode.rawValue,
                     result.timings.embed, result.timings.search, result.timings.total))
    }
}
