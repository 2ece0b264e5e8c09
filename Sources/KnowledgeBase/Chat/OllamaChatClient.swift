import Foundation

/// Streams answers from Ollama's `POST /api/chat` (NDJSON, one JSON object per line) over libcurl.
public struct OllamaChatClient: ChatClient {
    public var host: String
    public var connectTimeout: Double
    /// The stream fails when Ollama sends nothing for this long (a model loading can take a while).
    public var stallTimeout: Double
    /// Where the blocking libcurl transfers run: one thread each for as long as an answer streams.
    public var pool: BlockingPool

    public init(host: String = OllamaConfiguration.defaultHost, connectTimeout: Double = 5, stallTimeout: Double = 120,
                pool: BlockingPool = .shared) {
        self.host = OllamaConfiguration.normaliseHost(host)
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
        self.pool = pool
    }

    private struct Request: Encodable {
        var model: String
        var messages: [ChatMessage]
        var stream = true
        var options: Options?
    }

    /// Ollama's names for the sampling settings (`api/types.go`, `Options`).
    private struct Options: Encodable {
        var temperature: Double?
        var top_p: Double?
        var num_predict: Int?
        var stop: [String]?
        var seed: Int?
        var presence_penalty: Double?
        var frequency_penalty: Double?

        init?(_ options: ChatOptions) {
            guard !options.isEmpty else { return nil }
            temperature = options.temperature
            top_p = options.topP
            num_predict = options.maxTokens
            stop = options.stop
            seed = options.seed
            presence_penalty = options.presencePenalty
            frequency_penalty = options.frequencyPenalty
        }
    }

    private struct Line: Decodable {
        struct Message: Decodable { var content: String? }
        var message: Message?
        var done: Bool?
        var done_reason: String?
        var prompt_eval_count: Int?
        var eval_count: Int?
        var total_duration: Int?
        var error: String?
    }

    /// One line of the stream: a token, the end with its counts, or Ollama's error.
    @Sendable static func events(in line: Data) throws -> (events: [ChatEvent], done: Bool) {
        guard let decoded = try? JSONDecoder().decode(Line.self, from: line) else {
            throw ChatError.invalidResponse(String(decoding: line.prefix(200), as: UTF8.self))
        }
        if let error = decoded.error { throw ChatError.cutOff(error) }
        var events: [ChatEvent] = []
        if let content = decoded.message?.content, !content.isEmpty { events.append(.token(content)) }
        if decoded.done == true {
            events.append(.done(ChatStats(doneReason: decoded.done_reason, promptEvalCount: decoded.prompt_eval_count,
                                          evalCount: decoded.eval_count,
                                          totalDurationNanoseconds: decoded.total_duration)))
        }
        return (events, decoded.done == true)
    }

    public func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        chat(model: model, messages: messages, options: ChatOptions())
    }

    public func chat(model: String, messages: [ChatMessage], options: ChatOptions)
        -> AsyncThrowingStream<ChatEvent, any Error>
    {
        let url = host + "/api/chat"
        let host = self.host
        let connectTimeout = self.connectTimeout
        let stallTimeout = self.stallTimeout
        let pool = self.pool
        return AsyncThrowingStream { continuation in
            let parser = NDJSONStreamParser(continuation: continuation, decode: Self.events(in:))
            let task = Task {
                do {
                    let body = try JSONEncoder().encode(Request(model: model, messages: messages,
                                                                     options: Options(options)))
                    let status = try await CurlRequest.stream(url: url, body: body, connectTimeout: connectTimeout,
                                                              timeout: nil, stallTimeout: stallTimeout,
                                                              pool: pool) { status, bytes in
                        parser.receive(status: status, bytes: bytes)
                    }
                    if status >= 400 {
                        continuation.finish(throwing: Self.classify(status: status, body: parser.errorBody, model: model,
                                                                    host: host))
                    } else if !parser.finished {
                        continuation.finish(throwing: ChatError.cutOff("the connection closed before the answer was done"))
                    } else {
                        continuation.finish()
                    }
                } catch is CancellationError where parser.errorStatus != nil {
                    // The transfer was stopped once enough of the error body was kept.
                    continuation.finish(throwing: Self.classify(status: parser.errorStatus ?? 500, body: parser.errorBody,
                                                                model: model, host: host))
                } catch let failure as CurlFailure {
                    switch failure.kind {
                    case .connect where !parser.receivedAny:
                        continuation.finish(throwing: ChatError.unreachable(host: host, reason: failure.message))
                    default:
                        continuation.finish(throwing: ChatError.cutOff(failure.message))
                    }
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                parser.cancelled.store(true, ordering: .relaxed)
                task.cancel()
            }
        }
    }

    static func classify(status: Int, body: Data, model: String, host: String) -> ChatError {
        struct ErrorBody: Decodable { var error: String }
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: body).error)
            ?? String(decoding: body.prefix(300), as: UTF8.self)
        if status == 404 && message.contains("not found") && message.lowercased().contains("model") {
            return .modelNotFound(model: model, host: host)
        }
        return .http(status: status, message: message)
    }
}
