import ArgumentParser
import Dispatch
import Foundation
import KnowledgeBase

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Add or update runbooks (.md, .markdown, .txt) from files and directories.",
        discussion: """
            Directories are read recursively; stored paths are relative to the directory given (a file given \
            directly is stored under its name). Unchanged files cost no embedding call; in changed files only \
            chunks whose text changed are re-embedded. Each document is committed on its own, so an \
            interrupted run keeps what it finished and the next run continues.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var batching: EmbeddingBatchOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions

    @Argument(help: ArgumentHelp("Files or directories to ingest.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Target chunk size in estimated tokens.", valueName: "n"))
    var chunkTokens: Int = 350

    @Flag(help: "Remove stored documents whose files were not found under the given paths.")
    var prune = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        guard (32...8192).contains(chunkTokens) else { throw ValidationError("--chunk-tokens must be 32–8192.") }
    }

    func run() async throws {
        let logger = global.makeLogger()
        let catalog = try global.openCatalog(logger: logger, create: true)
        let client = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger, batching: batching)
        let (files, warnings) = try SourceDiscovery.discover(paths)
        for warning in warnings { Output.note("warning: \(warning)") }
        guard !files.isEmpty else { throw IngestError.noSupportedFiles(paths) }
        let options = ChunkerOptions(maxTokens: min(chunkTokens, client.contextTokens - 16),
                                     contextTokens: client.contextTokens)
        let ingester = Ingester(catalog: catalog, embedder: client, chunker: Chunker(options: options), logger: logger)
        if client is HashEmbedder {
            Output.note("note: the hash embedder is lexical: it matches words, not meaning (--embedder builtin or ollama for semantic search)")
        }
        let bar = ProgressBar()
        let task = Task {
            try await ingester.ingest(files, prune: prune) { progress in
                bar.update(done: progress.filesDone, total: progress.filesTotal,
                           detail: "files · \(progress.chunksEmbedded) chunks embedded · \(progress.currentPath)")
            }
        }
        let interrupts = Self.cancelOnInterrupt(task)
        let summary = try await task.value
        interrupts.forEach { $0.cancel() }
        bar.finish()
        if json {
            try Output.printJSON(summary)
        } else {
            for problem in summary.problems { Output.note("warning: \(problem)") }
            print(summary.line)
        }
        if let reason = summary.abortedBecause {
            Output.note("stopped early: \(reason)\nEverything committed before that is kept; run the same command again to continue.")
            throw ExitCode(2)
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }

    // The first Ctrl-C (or SIGTERM) stops after the documents in progress; a second one exits at once.
    private static func cancelOnInterrupt(_ task: Task<IngestSummary, Error>) -> [DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            var seen = false
            source.setEventHandler {
                if seen { Foundation.exit(130) }
                seen = true
                Output.note("\ninterrupted: finishing the documents in progress (press Ctrl-C again to quit now)")
                task.cancel()
            }
            source.resume()
            return source
        }
    }
}
