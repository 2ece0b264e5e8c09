/// Which Ollama embedding endpoint to call.
public enum EmbedAPI: String, Sendable, CaseIterable {
    /// `/api/embed`, falling back to `/api/embeddings` when the server lacks it.
    case auto
    /// `POST /api/embed` with a batch of inputs (Ollama 0.3.4 and later).
    case embed
    /// `POST /api/embeddings`, one prompt per request (older Ollama).
    case embeddings
}

/// How to reach Ollama and how hard to try.
public struct OllamaConfiguration: Sendable {
    public static let defaultHost = "http://127.0.0.1:11434"
    public static let defaultModel = "all-minilm"

    /// Base URL, e.g. `http://127.0.0.1:11434`.
    public var host: String
    public var model: String
    public var api: EmbedAPI
    public var batchSize: Int
    public var maxConcurrentRequests: Int
    public var connectTimeout: Double
    public var requestTimeout: Double
    /// Retries after the first attempt, on connection errors, 429 and 5xx.
    public var retries: Int
    /// First back-off delay in seconds; doubled each retry, with jitter.
    public var backoff: Double
    /// The model's context in tokens (all-minilm: 512).
    public var contextTokens: Int

    public init(host: String = OllamaConfiguration.defaultHost, model: String = OllamaConfiguration.defaultModel,
                api: EmbedAPI = .auto, batchSize: Int = 32, maxConcurrentRequests: Int = 3,
                connectTimeout: Double = 5, requestTimeout: Double = 120, retries: Int = 3, backoff: Double = 0.5,
                contextTokens: Int = 512) {
        self.host = Self.normaliseHost(host)
        self.model = model
        self.api = api
        self.batchSize = batchSize
        self.maxConcurrentRequests = maxConcurrentRequests
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retries = retries
        self.backoff = backoff
        self.contextTokens = contextTokens
    }

    /// Reads `OLLAMA_HOST` as Ollama's own CLI does: `host`, `host:port` or a URL; scheme defaults to http,
    /// port to 11434.
    public static func normaliseHost(_ value: String?) -> String {
        var host = (value ?? "").trimmingSpaces()
        if host.isEmpty { return defaultHost }
        while host.hasSuffix("/") { host.removeLast() }
        var scheme = "http"
        if let range = host.range(of: "://") {
            scheme = String(host[..<range.lowerBound]).lowercased()
            host = String(host[range.upperBound...])
        }
        let hostPart = host.split(separator: "/", maxSplits: 1).first.map(String.init) ?? host
        let pathPart = host.dropFirst(hostPart.count)
        let hasPort: Bool
        if hostPart.hasPrefix("[") {
            hasPort = hostPart.contains("]:")
        } else {
            hasPort = hostPart.contains(":")
        }
        let port = hasPort ? "" : (scheme == "https" ? ":443" : ":11434")
        return "\(scheme)://\(hostPart)\(port)\(pathPart)"
    }

    /// The model name as Ollama resolves it: case-insensitive, `:latest` implied, registry prefix dropped.
    public static func canonicalModel(_ name: String) -> String {
        var model = name.lowercased()
        for prefix in ["registry.ollama.ai/library/", "library/"] where model.hasPrefix(prefix) {
            model.removeFirst(prefix.count)
        }
        if model.hasSuffix(":latest") { model.removeLast(":latest".count) }
        return model
    }
}
