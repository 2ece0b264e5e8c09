import ArgumentParser
import Foundation
import KnowledgeBase

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a knowledge base to another store (e.g. SQLite to PostgreSQL), without re-embedding.",
        discussion: """
            Copies documents (with their times), chunks, vectors, synced sources and the embedding cache, then \
            verifies that both hold the same counts and the same checksums. The source is only read; the target \
            must be empty.

              kb migrate --from kb.sqlite --to 'postgres://kb:secret@db:5432/kb?sslmode=require'
              kb migrate --from 'postgres://…' --to backup.sqlite

            Stop writers (kb sync, uploads) during the copy: a change made meanwhile makes the check fail, and the \
            copy is then redone into an empty target.
            """)

    @Option(help: ArgumentHelp("The knowledge base to copy: a file path, sqlite:PATH or postgres://…", valueName: "store"))
    var from: String

    @Option(help: ArgumentHelp("Where to copy it (empty or new): a file path, sqlite:PATH or postgres://…",
                               valueName: "store"))
    var to: String

    @Option(name: .long, help: ArgumentHelp("Log level on stderr (env KB_LOG_LEVEL).", valueName: "level"))
    var logLevel: String?

    @Flag(help: "Print the summary as JSON.") var json = false

    func run() async throws {
        let source = try StoreLocation(from)
        let target = try StoreLocation(to)
        guard source != target else { throw ValidationError("--from and --to name the same knowledge base.") }
        let from = try source.open(create: false)
        let into = try target.open(create: true)
        let bar = ProgressBar()
        let summary = try StoreCopy.copy(from: from, to: into) { done, total in
            bar.update(done: done, total: total, detail: "documents")
        }
        bar.finish()
        if json { return try Output.printJSON(summary) }
        print("copied \(summary.documents) documents, \(summary.chunks) chunks, \(summary.vectors) vectors, "
            + "\(summary.cachedEmbeddings) cached embeddings and \(summary.sources) sources from \(source) to \(target) "
            + String(format: "in %.1f s", summary.seconds))
        print("verified: counts equal, content checksum \(summary.contentChecksum.prefix(16)), "
            + "cache checksum \(summary.cacheChecksum.prefix(16)) on both")
    }
}
