import Foundation

/// kb's own caps on one answer, so no answer grows or runs without bound whatever the model does.
public struct AnswerLimits: Sendable, Equatable {
    /// Most tokens generated (sent to Ollama as `num_predict`; a client may ask for fewer, never more).
    public var maxTokens: Int?
    /// Most characters kept, checked here in case the backend ignores `num_predict`.
    public var maxCharacters: Int?
    /// Longest time one answer may take, from the request to the last token.
    public var timeout: Duration?
    /// How to raise each cap, for the error that says it was reached.
    public var tokensAdvice = "start kb serve with a larger --max-answer-tokens"
    public var timeoutAdvice = "start kb serve with a larger --chat-timeout"

    /// Characters allowed per token of `maxTokens` when `maxCharacters` is derived from it (tokens average about
    /// four characters; this leaves room for long ones).
    public static let charactersPerToken = 16

    public init(maxTokens: Int? = nil, maxCharacters: Int? = nil, timeout: Duration? = nil) {
        self.maxTokens = maxTokens
        self.maxCharacters = maxCharacters ?? maxTokens.map { $0 * Self.charactersPerToken }
        self.timeout = timeout
    }

    var tokensReached: ChatError {
        .limitReached("the answer was cut off at \(maxTokens ?? 0) tokens, kb's cap on one answer; \(tokensAdvice)")
    }

    var charactersReached: ChatError {
        .limitReached("the answer was cut off at \(maxCharacters ?? 0) characters, kb's cap on one answer; "
            + tokensAdvice)
    }

    var timeoutReached: ChatError {
        let seconds = timeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
        return .limitReached("the answer took longer than \(String(format: "%g", seconds)) s, kb's cap on one "
            + "answer, and was stopped; \(timeoutAdvice)")
    }
}

/// A chat client with `AnswerLimits`: passes the token cap to the backend, and ends a stream that passes a cap
/// with `ChatError.limitReached` (cancelling the backend's stream) instead of letting it grow or run on.
///
/// A stream the backend ends with done reason `length` because of kb's token cap fails the same way, so a cut
/// answer is never mistaken for a complete one; a cap the client asked for itself (OpenAI's `max_tokens`) ends
/// normally, with that reason.
public struct LimitedChatClient: ChatClient {
    public let inner: any ChatClient
    public let limits: AnswerLimits

    public init(_ inner: any ChatClient, limits: AnswerLimits) {
        self.inner = inner
        self.limits = limits
    }

    public func models() async throws -> [ChatModelInfo] { try await inner.models() }

    public func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        chat(model: model, messages: messages, options: ChatOptions())
    }

    public func chat(model: String, messages: [ChatMessage], options: ChatOptions)
        -> AsyncThrowingStream<ChatEvent, any Error>
    {
        var options = options
        var ownCap = false
        if let cap = limits.maxTokens, (options.maxTokens ?? .max) >= cap {
            options.maxTokens = cap
            ownCap = true
        }
        return limits.enforce(inner.chat(model: model, messages: messages, options: options), ownTokenCap: ownCap) {
            switch $0 {
            case .token(let text): return (text.count, nil)
            case .done(let stats): return (0, stats.doneReason)
            }
        }
    }
}

/// The tool-calling side of `LimitedChatClient` (the agent's turns), over a client that can call tools.
public struct LimitedToolChatClient: ToolChatClient {
    public let inner: any ToolChatClient
    public let limits: AnswerLimits

    public init(_ inner: any ToolChatClient, limits: AnswerLimits) {
        self.inner = inner
        self.limits = limits
    }

    public func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
    {
        limits.enforce(inner.chat(model: model, messages: messages, tools: tools), ownTokenCap: false) {
            switch $0 {
            case .token(let text): return (text.count, nil)
            case .toolCalls: return (0, nil)
            case .done(let stats): return (0, stats.doneReason)
            }
        }
    }
}

extension AnswerLimits {
    /// Forwards `events` while they stay within the caps; `measure` gives an event's characters and done reason.
    func enforce<Event: Sendable>(_ events: AsyncThrowingStream<Event, any Error>, ownTokenCap: Bool,
                                  measure: @escaping @Sendable (Event) -> (characters: Int, doneReason: String?))
        -> AsyncThrowingStream<Event, any Error>
    {
        let limits = self
        return AsyncThrowingStream { continuation in
            let forward = Task {
                var characters = 0
                do {
                    for try await event in events {
                        let (count, reason) = measure(event)
                        characters += count
                        if let cap = limits.maxCharacters, characters > cap { throw limits.charactersReached }
                        if ownTokenCap, reason == "length" { throw limits.tokensReached }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    // Leaving the loop dropped `events`, which cancels the backend's request.
                    continuation.finish(throwing: error)
                }
            }
            let timer = limits.timeout.map { timeout in
                Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    continuation.finish(throwing: limits.timeoutReached)
                    forward.cancel()
                }
            }
            continuation.onTermination = { _ in
                forward.cancel()
                timer?.cancel()
            }
        }
    }
}
