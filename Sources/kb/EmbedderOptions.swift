import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Embedders a user can pick.
enum EmbedderKind: String, ExpressibleByArgument, CaseIterable {
    case hash
    case ollama
}

/// Options choosing and tuning the embedder.
struct EmbedderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Embedder: hash (offline, lexical) or ollama. Default: the one the knowledge base was built with; \
        for a new one, env KB_EMBEDDER or hash.
        """, valueName: "name"))
    var embedder: EmbedderKind?

    @Option(help: ArgumentHelp("Ollama embedding model (env KB_EMBED_MODEL, default all-minilm).", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("Ollama endpoint: auto, embed (/api/embed) or embeddings (/api/embeddings).",
                               valueName: "api"))
    var embedAPI: String = "auto"

    @Option(help: ArgumentHelp("Texts per embedding request.", valueName: "n"))
    var batchSize: Int = 32

    @Option(help: ArgumentHelp("Embedding requests in flight at once.", valueName: "n"))
    var concurrency: Int = 3

    @Option(help: ArgumentHelp("Seconds an embedding request may take before it is abandoned.", valueName: "seconds"))
    var timeout: Double = 120

    func validate() throws {
        guard EmbedAPI(rawValue: embedAPI) != nil else {
            throw ValidationError("--embed-api must be auto, embed or embeddings, not \"\(embedAPI)\".")
        }
        guard (1...2048).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 2048.") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64.") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        if let model, model.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--model must not be empty.")
        }
    }

    /// The embedder to use: flags first, then the knowledge base's own, then env, then hash.
    func makeClient(for existing: EmbeddingFingerprint?, logger: Logger) throws -> any EmbeddingClient {
        let environment = ProcessInfo.processInfo.environment
        let kind: EmbedderKind
        if let embedder {
            kind = embedder
        } else if let existing, let known = EmbedderKind(rawValue: existing.embedder) {
            kind = known
        } else if let name = environment["KB_EMBEDDER"], !name.isEmpty {
            guard let known = EmbedderKind(rawValue: name) else {
                throw ValidationError("KB_EMBEDDER must be hash or ollama, not \"\(name)\".")
            }
            kind = known
        } else {
            kind = .hash
        }
        switch kind {
        case .hash:
            return HashEmbedder()
        case .ollama:
            let modelName = model
                ?? (existing?.embedder == "ollama" ? existing?.model : nil)
                ?? environment["KB_EMBED_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? OllamaConfiguration.defaultModel
            let configuration = OllamaConfiguration(
                host: OllamaConfiguration.normaliseHost(environment["OLLAMA_HOST"]), model: modelName,
                api: EmbedAPI(rawValue: embedAPI) ?? .auto, batchSize: batchSize, maxConcurrentRequests: concurrency,
                requestTimeout: timeout)
            return OllamaClient(configuration: configuration, logger: logger)
        }
    }
}
