/// Turns texts into vectors. Implementations: `OllamaClient` (HTTP), `HashEmbedder` (offline, lexical).
public protocol EmbeddingClient: Sendable {
    /// Which embedder and model this is; the dimension may be unknown (0) until the first vector arrives.
    var kind: String { get }
    var model: String { get }
    /// Largest input in tokens, [CLS]/[SEP] included; the chunker keeps every chunk under it.
    var contextTokens: Int { get }
    /// Texts sent per request by `BatchEmbedder`.
    var preferredBatchSize: Int { get }
    /// Requests `BatchEmbedder` keeps in flight at once.
    var maxConcurrentRequests: Int { get }

    /// Embeds one batch, returning one L2-normalised vector per text, in order.
    ///
    /// - Throws: `EmbeddingError`; the whole batch fails together.
    func embed(_ texts: [String]) async throws -> [[Float]]

    /// The exact tokens the model sees for `text`, [CLS]/[SEP] included, before any cut to `contextTokens`;
    /// nil when the embedder cannot tell without a request (the default).
    func tokenCount(_ text: String) -> Int?
}

/// Why an embedding request failed.
public enum EmbeddingError: Error, Sendable, CustomStringConvertible {
    /// Ollama (or whatever `OLLAMA_HOST` points at) could not be reached at all.
    case unreachable(host: String, reason: String)
    case modelNotFound(model: String, host: String)
    /// The server answered with an HTTP error.
    case http(status: Int, message: String, url: String)
    case timedOut(url: String, seconds: Double)
    case invalidResponse(String)
    case dimensionMismatch(expected: Int, got: Int)
    /// A chunk that kept failing on its own after its batch was split.
    case input(label: String, underlying: String)
    /// A batch failed and so did one harmless control text: the server fails every request, whatever the input.
    case serverFailing(batch: String, control: String)

    public var description: String {
        switch self {
        case .unreachable(let host, let reason):
            return "cannot reach Ollama at \(host): \(reason). Start it with `ollama serve`, or set OLLAMA_HOST "
                + "to where it runs (or use --embedder hash for the offline lexical embedder)."
        case .modelNotFound(let model, let host):
            return "Ollama at \(host) does not have the model \"\(model)\". Run `ollama pull \(model)`, "
                + "or choose another with --model."
        case .http(let status, let message, let url):
            return "\(url) answered HTTP \(status): \(message)"
        case .timedOut(let url, let seconds):
            return "\(url) did not answer within \(String(format: "%.0f", seconds)) s"
        case .invalidResponse(let message):
            return "unexpected answer from the embedder: \(message)"
        case .dimensionMismatch(let expected, let got):
            return "the embedder returned \(got)-dimensional vectors, but \(expected) were expected"
        case .input(let label, let underlying):
            return "\(label): \(underlying)"
        case .serverFailing(let batch, let control):
            return "the embedder fails every request, not just this batch's texts: \(batch); a one-word control "
                + "request failed too (\(control)). Stopped instead of trying each text alone; check the embedder's "
                + "logs, then run again."
        }
    }

    /// Failures that no retry or split will cure: the run stops instead of trying every chunk.
    public var isFatal: Bool {
        switch self {
        case .unreachable, .modelNotFound, .dimensionMismatch, .serverFailing: return true
        case .http(let status, _, _): return status == 401 || status == 403
        case .timedOut, .invalidResponse, .input: return false
        }
    }
}

extension EmbeddingClient {
    public func tokenCount(_ text: String) -> Int? { nil }

    /// The fingerprint of this embedder's vectors, once their dimension is known.
    public func fingerprint(dimension: Int) -> EmbeddingFingerprint {
        EmbeddingFingerprint(embedder: kind, model: model, dimension: dimension)
    }
}

/// L2-normalises `vector` in place; a zero vector stays zero.
@inlinable
public func l2Normalise(_ vector: inout [Float]) {
    var sum: Float = 0
    for value in vector { sum += value * value }
    guard sum > 0 else { return }
    let scale = 1 / sum.squareRoot()
    for index in vector.indices { vector[index] *= scale }
}
