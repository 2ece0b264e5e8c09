import ArgumentParser
import Foundation
import KnowledgeBase

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Print the embedding of a text (L2-normalised).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var ignoredBatching: IgnoredBatchOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @Argument(help: "The text to embed.") var text: String
    @Flag(help: "Print {\"model\",\"dim\",\"embedding\"} as JSON.") var json = false

    func run() async throws {
        let logger = global.makeLogger()
        // The knowledge base only supplies the default embedder; embedding needs no database file.
        let location = try global.storeLocation
        let existing = location.exists ? try location.open(create: false).fingerprint() : nil
        let client = try embedding.makeClient(for: existing, logger: logger)
        guard let vector = try await client.embed([text]).first else {
            throw EmbeddingError.invalidResponse("no embedding returned")
        }
        if json {
            struct Embedded: Encodable { var model: String; var dim: Int; var embedding: [Float] }
            return try Output.printJSON(Embedded(model: client.model, dim: vector.count, embedding: vector))
        }
        print("\(client.kind) \(client.model), \(vector.count) dimensions"
            + (client is HashEmbedder ? " (lexical feature hashing)" : ""))
        print(vector.map { String(format: "%.6f", $0) }.joined(separator: " "))
    }
}
