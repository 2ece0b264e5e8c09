import Foundation
import Logging
import Synchronization

/// Embeds texts with Ollama over HTTP (libcurl): `/api/embed` in batches, or `/api/embeddings` one by one.
///
/// Retries connection errors, 429 and 5xx with exponential back-off and jitter; never other 4xx.
/// Vectors are L2-normalised on receipt (the legacy endpoint returns raw ones).
public final class OllamaClient: EmbeddingClient {
    public let kind = "ollama"
    public let configuration: OllamaConfiguration
    public var model: String { OllamaConfiguration.canonicalModel(configuration.model) }
    public var contextTokens: Int { configuration.contextTokens }
    public var preferredBatchSize: Int { configuration.batchSize }
    public var maxConcurrentRequests: Int { configuration.maxConcurrentRequests }

    private let logger: Logger
    private let pool: BlockingPool
    // Set once `auto` has found out which endpoint the server has.
    private let resolvedAPI: Mutex<EmbedAPI?>
    private let counters = Mutex(Counters())

    /// Requests sent, retries made and requests that finally failed, for summaries and metrics.
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var retries = 0
        public var failures = 0
    }

    /// - Parameter pool: where the blocking libcurl calls run; when it is full, `embed` throws
    ///   `BlockingPoolError.saturated` at once.
    public init(configuration: OllamaConfiguration, logger: Logger, pool: BlockingPool = .shared) {
        self.configuration = configuration
        self.logger = logger
        self.pool = pool
        self.resolvedAPI = Mutex(configuration.api == .auto ? nil : configuration.api)
    }

    public var counts: Counters { counters.withLock { $0 } }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let api = resolvedAPI.withLock { $0 } ?? .embed
        if api == .embed {
            do {
                return try await embedBatch(texts)
            } catch let error as EndpointMissing {
                guard configuration.api == .auto else {
                    throw EmbeddingError.http(status: error.status, message: "the server has no /api/embed (Ollama "
                        + "before 0.3.4?); use --embed-api embeddings or auto", url: error.url)
                }
                logger.info("ollama has no /api/embed; using /api/embeddings", metadata: ["ollama.host": "\(configuration.host)"])
                resolvedAPI.withLock { $0 = .embeddings }
            }
        }
        var vectors: [[Float]] = []
        do {
            for text in texts { vectors.append(try await embedLegacy(text)) }
        } catch let error as EndpointMissing {
            throw EmbeddingError.http(status: error.status, message: "the server has neither /api/embed nor "
                + "/api/embeddings; is \(configuration.host) an Ollama server?", url: error.url)
        }
        if configuration.api == .auto { resolvedAPI.withLock { $0 = .embeddings } }
        return vectors
    }

    // MARK: endpoints

    private struct EmbedRequest: Encodable {
        var model: String
        var input: [String]
        // Ollama truncates over-long input silently by default; kb would rather be told and name the chunk.
        var truncate = false
    }

    private struct EmbedResponse: Decodable { var embeddings: [[Float]]? }
    private struct LegacyRequest: Encodable { var model: String; var prompt: String }
    private struct LegacyResponse: Decodable { var embedding: [Float]? }
    private struct ErrorResponse: Decodable { var error: String }

    /// The server answered 404/405 for the endpoint itself (not for the model).
    struct EndpointMissing: Error { var status: Int; var url: String }

    private func embedBatch(_ texts: [String]) async throws -> [[Float]] {
        let url = configuration.host + "/api/embed"
        let body = try JSONEncoder().encode(EmbedRequest(model: configuration.model, input: texts))
        let reply = try await send(url: url, body: body)
        guard let vectors = try decode(EmbedResponse.self, reply, url: url).embeddings, vectors.count == texts.count
        else {
            throw EmbeddingError.invalidResponse("\(url) returned a different number of embeddings than inputs "
                + "(\(texts.count) sent)")
        }
        return try vectors.map(checked)
    }

    private func embedLegacy(_ text: String) async throws -> [Float] {
        let url = configuration.host + "/api/embeddings"
        let body = try JSONEncoder().encode(LegacyRequest(model: configuration.model, prompt: text))
        let reply = try await send(url: url, body: body)
        guard let vector = try decode(LegacyResponse.self, reply, url: url).embedding else {
            throw EmbeddingError.invalidResponse("\(url) returned no \"embedding\"")
        }
        return try checked(vector)
    }

    private func checked(_ vector: [Float]) throws -> [Float] {
        guard !vector.isEmpty else { throw EmbeddingError.invalidResponse("an empty embedding") }
        guard vector.allSatisfy(\.isFinite) else { throw EmbeddingError.invalidResponse("an embedding with NaN or infinity") }
        var normalised = vector
        l2Normalise(&normalised)
        return normalised
    }

    private func decode<T: Decodable>(_ type: T.Type, _ reply: HTTPReply, url: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: reply.body)
        } catch {
            let start = String(decoding: reply.body.prefix(200), as: UTF8.self)
            throw EmbeddingError.invalidResponse("\(url) answered with something that is not the expected JSON: \(start)")
        }
    }

    // MARK: transport with retries

    private func send(url: String, body: Data) async throws -> HTTPReply {
        var attempt = 0
        while true {
            counters.withLock { $0.requests += 1 }
            let started = ContinuousClock.now
            let outcome: Result<HTTPReply, CurlFailure>
            do {
                outcome = .success(try await CurlRequest.postJSON(url: url, body: body,
                                                                  connectTimeout: configuration.connectTimeout,
                                                                  timeout: configuration.requestTimeout,
                                                                  pool: pool))
            } catch let failure as CurlFailure {
                outcome = .failure(failure)
            }
            let retryable: Bool
            let error: Error
            switch outcome {
            case .success(let reply) where (200..<300).contains(reply.status):
                logger.debug("ollama request", metadata: [
                    "ollama.url": "\(url)", "http.status": "\(reply.status)",
                    "duration_ms": "\(started.duration(to: .now).milliseconds)",
                ])
                return reply
            case .success(let reply):
                error = classify(reply, url: url)
                retryable = reply.status == 429 || reply.status >= 500
            case .failure(let failure):
                switch failure.kind {
                case .connect:
                    error = EmbeddingError.unreachable(host: configuration.host, reason: failure.message)
                    retryable = true
                case .timeout:
                    error = EmbeddingError.timedOut(url: url, seconds: configuration.requestTimeout)
                    retryable = false
                case .other:
                    error = EmbeddingError.invalidResponse("\(url): \(failure.message)")
                    retryable = false
                }
            }
            guard retryable, attempt < configuration.retries else {
                counters.withLock { $0.failures += 1 }
                throw error
            }
            attempt += 1
            counters.withLock { $0.retries += 1 }
            // Exponential back-off with jitter between half and the full delay, so retries do not arrive in step.
            let delay = configuration.backoff * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1)
            logger.info("retrying ollama request", metadata: [
                "ollama.url": "\(url)", "retry.attempt": "\(attempt)", "retry.delay_ms": "\(Int(delay * 1000))",
                "error": "\(error)",
            ])
            try await Task.sleep(for: .seconds(delay))
        }
    }

    private func classify(_ reply: HTTPReply, url: String) -> Error {
        let text = String(decoding: reply.body, as: UTF8.self)
        let message = (try? JSONDecoder().decode(ErrorResponse.self, from: reply.body).error) ?? text
        if reply.status == 404 || reply.status == 405 {
            if message.lowercased().contains("model") && message.contains("not found") {
                return EmbeddingError.modelNotFound(model: configuration.model, host: configuration.host)
            }
            return EndpointMissing(status: reply.status, url: url)
        }
        return EmbeddingError.http(status: reply.status, message: message.trimmingSpaces(), url: url)
    }
}

extension Duration {
    /// Whole milliseconds, for log metadata.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
