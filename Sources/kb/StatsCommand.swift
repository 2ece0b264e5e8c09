import ArgumentParser
import Foundation
import KnowledgeBase

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show what the knowledge base holds and which embedder built it.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() async throws {
        let catalog = try global.openCatalog(logger: global.makeLogger())
        let stats = try catalog.store.stats()
        if json { return try Output.printJSON(stats) }
        print("knowledge base: \(catalog.store.path) (schema \(stats.schemaVersion), "
            + String(format: "%.1f MB)", Double(stats.fileBytes) / 1e6))
        print("documents: \(stats.documents)\nchunks: \(stats.chunks)\nvectors: \(stats.vectors)")
        print("embedding cache: \(stats.cachedEmbeddings) entries")
        if let fingerprint = stats.fingerprint {
            print("embedder: \(fingerprint)" + (fingerprint.embedder == "hash" ? " (lexical)" : ""))
        } else {
            print("embedder: none yet (empty knowledge base)")
        }
    }
}
