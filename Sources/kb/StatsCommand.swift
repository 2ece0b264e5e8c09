import ArgumentParser
import Foundation
import KnowledgeBase

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Show what the knowledge base holds and which embedder built it.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @Flag(help: "Print as JSON.") var json = false

    func run() async throws {
        let catalog = try global.openCatalog(logger: global.makeLogger(), create: false, precision: index.indexPrecision)
        let stats = try catalog.store.stats()
        let precision = catalog.precision
        let indexBytes = stats.vectors * (stats.fingerprint?.dimension ?? 0) * precision.bytesPerComponent
        let sources = try catalog.store.sources()
        if json {
            return try Output.printJSON(StatsOutput(stats: stats, indexPrecision: precision, indexBytes: indexBytes,
                                                    sources: sources))
        }
        print("knowledge base: \(catalog.store.location) (schema \(stats.schemaVersion), "
            + String(format: "%.1f MB)", Double(stats.fileBytes) / 1e6))
        print("documents: \(stats.documents)\nchunks: \(stats.chunks)\nvectors: \(stats.vectors)")
        print("embedding cache: \(stats.cachedEmbeddings) entries")
        if let fingerprint = stats.fingerprint {
            print("embedder: \(fingerprint)" + (fingerprint.embedder == "hash" ? " (lexical)" : ""))
            let other: IndexPrecision = precision == .fp32 ? .fp16 : .fp32
            print("index in memory: \(precision), " + String(format: "%.1f MB", Double(indexBytes) / 1e6)
                + " (\(stats.vectors) × \(fingerprint.dimension); \(other) would take "
                + String(format: "%.1f MB", Double(indexBytes * other.bytesPerComponent / precision.bytesPerComponent) / 1e6)
                + ", --precision or KB_PRECISION)")
        } else {
            print("embedder: none yet (empty knowledge base)")
        }
        for source in sources {
            let revision = source.revision.map { " at \(source.ref ?? "HEAD") \($0.prefix(12))" } ?? ""
            print("source \(source.name): \(source.documents) documents, \(source.kind) \(source.root)\(revision), "
                + "synced \(source.syncedAt ?? "never")")
        }
    }
}

/// `kb stats --json`: the store's figures plus what the index takes in memory at the chosen precision.
private struct StatsOutput: Encodable {
    var stats: StoreStats
    var indexPrecision: IndexPrecision
    var indexBytes: Int
    var sources: [SourceRecord]

    private enum CodingKeys: String, CodingKey { case indexPrecision, indexBytes, sources }

    func encode(to encoder: any Encoder) throws {
        try stats.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(indexPrecision, forKey: .indexPrecision)
        try container.encode(indexBytes, forKey: .indexBytes)
        try container.encode(sources, forKey: .sources)
    }
}
