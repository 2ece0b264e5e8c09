import Foundation
import Hummingbird
import KnowledgeBase
import Synchronization

/// Measures one answer from its request to its end and records it in `ServerMetrics` once: the whole duration
/// (for a stream: until its last line was written, or it failed, or the client hung up), the first model token, a
/// refusal, the tokens Ollama reports, and how it ended.
///
/// It also sets the status `RequestMiddleware` counts for the request (`RequestOutcome`), so the HTTP metrics and
/// the answer metrics agree: a stream that began with 200 but ended in an upstream error or a cap is counted with
/// the status the same failure gets without streaming (502, or 503 for an unreachable Ollama), a hang-up as 499
/// (the client closed the request, as nginx logs it).
final class AnswerMeter: Sendable {
    /// Which answers: grounded in the runbooks, the agent's, or a plain model's (`/v1/chat/completions` with a
    /// model without `kb:`).
    enum Kind: String, Sendable { case grounded, agent, passthrough }

    enum Outcome: String, Sendable {
        case ok, refused
        /// Ollama failed (unreachable, an HTTP error, the stream cut off) or answered what kb cannot read.
        case upstreamError = "upstream_error"
        /// One of kb's caps on an answer (tokens, characters, time) stopped it.
        case cap
        /// The client hung up before the answer was complete.
        case cancelled
        /// Every answer slot was taken (`--max-answers`): 503 with `Retry-After`, nothing generated.
        case busy
        /// Anything else (e.g. retrieval failing during an agent's answer).
        case error
    }

    struct Counts: Sendable, Equatable {
        var ollama = 0
        var kb = 0
    }

    struct Record: Sendable {
        var route: String
        var kind: Kind
        var stream: Bool
        var outcome: Outcome
        var seconds: Double
        var firstTokenSeconds: Double?
        var promptTokens = Counts()
        var generatedTokens = Counts()
    }

    private struct State {
        var firstToken: ContinuousClock.Instant?
        var promptTokens = Counts()
        var generatedTokens = Counts()
        var chatFailure: (any Error)?
        var finished = false
    }

    let route: String
    let kind: Kind
    let stream: Bool
    let started: ContinuousClock.Instant
    private let metrics: ServerMetrics
    private let outcome: RequestOutcome?
    private let state = Mutex(State())

    init(route: String, kind: Kind, stream: Bool, started: ContinuousClock.Instant = .now, metrics: ServerMetrics,
         outcome: RequestOutcome?) {
        self.route = route
        self.kind = kind
        self.stream = stream
        self.started = started
        self.metrics = metrics
        self.outcome = outcome
    }

    /// A token from the model (not kb's own refusal text).
    func modelToken() {
        state.withLock { if $0.firstToken == nil { $0.firstToken = .now } }
    }

    /// One chat turn ended; `stats` are Ollama's counters (nil when the stream ended without them), `pieces` the
    /// tokens streamed in the turn, counted in their stead when Ollama reported no `eval_count`.
    func turnEnded(_ stats: ChatStats?, pieces: Int) {
        state.withLock { state in
            state.promptTokens.ollama += stats?.promptEvalCount ?? 0
            if let generated = stats?.evalCount { state.generatedTokens.ollama += generated }
            else { state.generatedTokens.kb += pieces }
        }
    }

    /// A chat stream failed with `error` (what ended the answer, when the route sees only its consequence).
    func chatFailed(_ error: any Error) { state.withLock { $0.chatFailure = error } }

    /// The last chat stream's failure, if one failed.
    var chatFailure: (any Error)? { state.withLock { $0.chatFailure } }

    /// Records the answer; only the first call counts. `error` is what ended it early, nil when it completed.
    func finish(refused: Bool = false, error: (any Error)? = nil) {
        let ended = ContinuousClock.now
        let record: Record? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            let outcome = error.map(Self.outcome) ?? (refused ? .refused : .ok)
            return Record(route: route, kind: kind, stream: stream, outcome: outcome,
                          seconds: Self.seconds(started.duration(to: ended)),
                          firstTokenSeconds: state.firstToken.map { Self.seconds(started.duration(to: $0)) },
                          promptTokens: state.promptTokens, generatedTokens: state.generatedTokens)
        }
        guard let record else { return }
        outcome?.set(status: error.map(Self.status) ?? 200)
        metrics.recordAnswer(record)
    }

    static func outcome(of error: any Error) -> Outcome {
        switch error {
        case ChatError.limitReached: return .cap
        case is ChatError: return .upstreamError
        case is CancellationError, is ClientGone: return .cancelled
        case is BlockingPoolError: return .busy
        case let error as APIError where error.code == "upstream_error": return .upstreamError
        default: return .error
        }
    }

    /// The status the request is counted with when `error` ended its answer.
    static func status(of error: any Error) -> Int {
        outcome(of: error) == .cancelled ? 499 : APIError.from(error, requestID: "").status.code
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// The status a request ends with when it is not the response's: set by an answer that failed or was abandoned
/// after its 200 went out, read by `RequestMiddleware` when it counts the request.
final class RequestOutcome: Sendable {
    private let value = Mutex<Int?>(nil)

    func set(status: Int) { value.withLock { $0 = status } }
    var status: Int? { value.withLock { $0 } }
}

/// Writing a streamed response failed: the client is gone.
struct ClientGone: Error {
    var underlying: any Error
}

/// A chat client that tells an `AnswerMeter` about the model's tokens and each turn's counters.
struct MeteredChatClient: ChatClient {
    let inner: any ChatClient
    let meter: AnswerMeter

    func models() async throws -> [ChatModelInfo] { try await inner.models() }

    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        chat(model: model, messages: messages, options: ChatOptions())
    }

    func chat(model: String, messages: [ChatMessage], options: ChatOptions) -> AsyncThrowingStream<ChatEvent, any Error> {
        meter.observe(inner.chat(model: model, messages: messages, options: options)) {
            switch $0 {
            case .token: return (true, nil)
            case .done(let stats): return (false, stats)
            }
        }
    }
}

/// The tool-calling side of `MeteredChatClient` (the agent's turns).
struct MeteredToolChatClient: ToolChatClient {
    let inner: any ToolChatClient
    let meter: AnswerMeter

    func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
    {
        meter.observe(inner.chat(model: model, messages: messages, tools: tools)) {
            switch $0 {
            case .token: return (true, nil)
            case .toolCalls: return (false, nil)
            case .done(let stats): return (false, stats)
            }
        }
    }
}

extension AnswerMeter {
    /// `events`, unchanged, while their tokens and final counters are noted; `classify` says whether an event is
    /// a token and gives a final event's counters.
    func observe<Event: Sendable>(_ events: AsyncThrowingStream<Event, any Error>,
                                  classify: @escaping @Sendable (Event) -> (token: Bool, stats: ChatStats?))
        -> AsyncThrowingStream<Event, any Error>
    {
        let meter = self
        return AsyncThrowingStream { continuation in
            let forward = Task {
                var pieces = 0, ended = false
                do {
                    for try await event in events {
                        let (token, stats) = classify(event)
                        if token {
                            pieces += 1
                            meter.modelToken()
                        }
                        if let stats {
                            meter.turnEnded(stats, pieces: pieces)
                            ended = true
                        }
                        continuation.yield(event)
                    }
                    if !ended { meter.turnEnded(nil, pieces: pieces) }
                    continuation.finish()
                } catch {
                    if !ended { meter.turnEnded(nil, pieces: pieces) }
                    meter.chatFailed(error)
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in forward.cancel() }
        }
    }
}

/// A streamed body's writer that tells the middleware when the body ends, before its last byte goes out (so a
/// client that has read the whole answer finds it counted on `/metrics`), and marks failed writes as `ClientGone`.
struct RecordingBodyWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    let onEnd: @Sendable () -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        do { try await inner.write(buffer) } catch { throw ClientGone(underlying: error) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        onEnd()
        do { try await inner.finish(trailingHeaders) } catch { throw ClientGone(underlying: error) }
    }
}
