import Foundation
import Synchronization

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

    /// Splits the byte stream into lines and decodes them; shared with the libcurl thread.
    private final class LineParser: Sendable {
        private let state = Mutex<(lines: NDJSONLines, errorStatus: Int?, finished: Bool, received: Bool)>(
            (NDJSONLines(), nil, false, false))
        let continuation: AsyncThrowingStream<ChatEvent, any Error>.Continuation
        let cancelled = Atomic<Bool>(false)

        init(continuation: AsyncThrowingStream<ChatEvent, any Error>.Continuation) {
            self.continuation = continuation
        }

        var finished: Bool { state.withLock { $0.finished } }
        var errorBody: Data { state.withLock { $0.lines.errorBody } }
        /// The HTTP status of an error answer, once one arrived.
        var errorStatus: Int? { state.withLock { $0.errorStatus } }
        var receivedAny: Bool { state.withLock { $0.received } }

        func receive(status: Int, bytes: UnsafeRawBufferPointer) -> Bool {
            if cancelled.load(ordering: .relaxed) { return false }
            state.withLock { $0.received = true }
            if status >= 400 {
                // Enough of the body is kept for the message; the transfer stops there (see `errorStatus`).
                return state.withLock { state in
                    state.errorStatus = status
                    return !state.lines.keepError(bytes)
                }
            }
            let lines: [Data]
            do {
                lines = try state.withLock { try $0.lines.lines(in: bytes) }
            } catch {
                continuation.finish(throwing: error)
                return false
            }
            for line in lines where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                guard let decoded = try? JSONDecoder().decode(Line.self, from: line) else {
                    continuation.finish(throwing: ChatError.invalidResponse(String(decoding: line.prefix(200), as: UTF8.self)))
                    return false
                }
                if let error = decoded.error {
                    continuation.finish(throwing: ChatError.cutOff(error))
                    return false
                }
                if let content = decoded.message?.content, !content.isEmpty { continuation.yield(.token(content)) }
                if decoded.done == true {
                    state.withLock { $0.finished = true }
                    continuation.yield(.done(ChatStats(doneReason: decoded.done_reason,
                                                       promptEvalCount: decoded.prompt_eval_count,
                                                       evalCount: decoded.eval_count,
                                                       totalDurationNanoseconds: decoded.total_duration)))
                }
            }
            return true
        }
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
            let parser = LineParser(continuation: continuation)
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
