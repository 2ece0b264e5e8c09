import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

/// Embedders a user can pick.
enum EmbedderKind: String, ExpressibleByArgument, CaseIterable {
    case hash
    case ollama
    /// all-MiniLM-L6-v2 in-process (the model of Ollama's `all-minilm`); the default for a new knowledge base.
    case builtin
}

/// Options choosing the embedder and reaching it: every command that embeds (a question or documents) takes these.
/// How many texts go in one call and how many calls run at once only matter to commands that embed documents: those
/// add `EmbeddingBatchOptions`.
struct EmbedderOptions: ParsableArguments {
    @Option(help: ArgumentHelp("""
        Embedder: builtin (all-MiniLM-L6-v2 in-process, semantic), ollama, or hash (offline, lexical). Default: \
        the one the knowledge base was built with; for a new one, env KB_EMBEDDER or builtin.
        """, valueName: "name"))
    var embedder: EmbedderKind?

    @Option(help: ArgumentHelp("Ollama embedding model (env KB_EMBED_MODEL, default all-minilm).", valueName: "name"))
    var model: String?

    @Option(help: ArgumentHelp("Ollama endpoint: auto, embed (/api/embed) or embeddings (/api/embeddings).",
                               valueName: "api"))
    var embedAPI: String = "auto"

    @Option(help: ArgumentHelp("Seconds an embedding request may take before it is abandoned.", valueName: "seconds"))
    var timeout: Double = 120

    @Option(help: ArgumentHelp("""
        The built-in model's directory (env KB_MODEL_DIR, default ~/.cache/kb/models/all-minilm-l6-v2); \
        `kb model fetch` fills it.
        """, valueName: "dir"))
    var modelDir: String?

    @Option(help: ArgumentHelp("Threads for the built-in model (env KB_THREADS, default: all processors).",
                               valueName: "n"))
    var threads: Int?

    func validate() throws {
        guard EmbedAPI(rawValue: embedAPI) != nil else {
            throw ValidationError("--embed-api must be auto, embed or embeddings, not \"\(embedAPI)\".")
        }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive.") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256.") }
        if let model, model.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--model must not be empty.")
        }
        if embedder == .builtin, model != nil {
            throw ValidationError("--model names an Ollama model; the built-in embedder always runs all-MiniLM-L6-v2.")
        }
    }

    /// The embedder to use: flags first, then the knowledge base's own, then env, then builtin. Its blocking calls
    /// run on `pool`; `batching` (commands that embed documents) sets texts per call and calls in flight.
    func makeClient(for existing: EmbeddingFingerprint?, logger: Logger, pool: BlockingPool = .shared,
                    batching: EmbeddingBatchOptions? = nil) throws -> any EmbeddingClient {
        // Without batching options (the commands that embed only a question) the defaults apply. (A default
        // `EmbeddingBatchOptions()` would not do: its values exist only once parsed.)
        let batchSize = batching?.batchSize, concurrency = batching?.concurrency ?? EmbeddingBatchOptions.defaultConcurrency
        let environment = ProcessInfo.processInfo.environment
        let kind: EmbedderKind
        if let embedder {
            kind = embedder
        } else if let existing, let known = EmbedderKind(rawValue: existing.embedder) {
            kind = known
        } else if let name = environment["KB_EMBEDDER"], !name.isEmpty {
            guard let known = EmbedderKind(rawValue: name) else {
                throw ValidationError("KB_EMBEDDER must be builtin, ollama or hash, not \"\(name)\".")
            }
            kind = known
        } else {
            kind = .builtin
        }
        switch kind {
        case .hash:
            return HashEmbedder()
        case .builtin:
            return try BuiltinEmbedder(locator: ModelLocator.resolve(explicit: modelDir, environment: environment),
                                       threads: try threadCount(environment), batchSize: batchSize ?? 64,
                                       pool: pool, logger: logger)
        case .ollama:
            let modelName = model
                ?? (existing?.embedder == "ollama" ? existing?.model : nil)
                ?? environment["KB_EMBED_MODEL"].flatMap { $0.isEmpty ? nil : $0 }
                ?? OllamaConfiguration.defaultModel
            let configuration = OllamaConfiguration(
                host: OllamaConfiguration.normaliseHost(environment["OLLAMA_HOST"]), model: modelName,
                api: EmbedAPI(rawValue: embedAPI) ?? .auto, batchSize: batchSize ?? 32,
                maxConcurrentRequests: concurrency, requestTimeout: timeout)
            return OllamaClient(configuration: configuration, logger: logger, pool: pool)
        }
    }

    /// `--threads`, else `KB_THREADS`, else nil (all processors).
    func threadCount(_ environment: [String: String]) throws -> Int? {
        if let threads { return threads }
        guard let value = environment["KB_THREADS"], !value.isEmpty else { return nil }
        guard let count = Int(value), (1...256).contains(count) else {
            throw ValidationError("KB_THREADS must be a number from 1 to 256, not \"\(value)\".")
        }
        return count
    }
}

/// Batching of document embedding: for the commands that embed many texts (ingest, sync, reindex, serve's uploads,
/// eval --corpus). A question is one text, so query, ask, chat and mcp do not take these.
struct EmbeddingBatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Texts per embedding request (default 32 for ollama, 64 for builtin).", valueName: "n"))
    var batchSize: Int?

    static let defaultConcurrency = 3

    @Option(help: ArgumentHelp("Embedding requests in flight at once (ollama).", valueName: "n"))
    var concurrency: Int = defaultConcurrency

    func validate() throws {
        if let batchSize, !(1...2048).contains(batchSize) {
            throw ValidationError("--batch-size must be between 1 and 2048.")
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64.") }
    }
}
