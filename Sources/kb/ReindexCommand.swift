import ArgumentParser
import Foundation
import KnowledgeBase

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Re-embed all stored chunks with another embedder; switch only when every chunk is done.",
        discussion: "Queries keep using the old vectors until the switch. An interrupted reindex resumes.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var batching: EmbeddingBatchOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @Flag(help: "Print the summary as JSON.") var json = false

    func validate() throws {
        if embedding.embedder == nil { throw ValidationError("say which embedder to reindex with: --embedder builtin|ollama|hash") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let catalog = try global.openCatalog(logger: logger, create: false)
        let client = try embedding.makeClient(for: nil, logger: logger, batching: batching)
        let bar = ProgressBar()
        let summary = try await Reindexer(catalog: catalog, embedder: client, logger: logger).reindex { done, total in
            bar.update(done: done, total: total, detail: "chunks")
        }
        bar.finish()
        if json { return try Output.printJSON(summary) }
        for failure in summary.failures { Output.note("failed: \(failure)") }
        print("\(summary.chunks) chunks: \(summary.embedded) embedded, \(summary.cached) from cache, "
            + "\(summary.resumed) done by an earlier run")
        if summary.switched {
            print("now using \(summary.to)" + (summary.from.map { " (was \($0))" } ?? ""))
        } else {
            print("not switched: \(summary.failures.count) chunks failed; the index still uses "
                + (summary.from.map { "\($0)" } ?? "nothing") + ". Fix the cause and run again.")
            throw ExitCode(1)
        }
    }
}
