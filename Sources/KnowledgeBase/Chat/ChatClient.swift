/// One message of a chat conversation.
public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// What a streaming chat produces: pieces of the answer, then one `done` with the model's counters.
public enum ChatEvent: Sendable, Equatable {
    case token(String)
    case done(ChatStats)
}

/// Counters Ollama reports at the end of a chat.
public struct ChatStats: Sendable, Codable, Equatable {
    public var doneReason: String?
    public var promptEvalCount: Int?
    public var evalCount: Int?
    public var totalDurationNanoseconds: Int?

    public init(doneReason: String? = nil, promptEvalCount: Int? = nil, evalCount: Int? = nil,
                totalDurationNanoseconds: Int? = nil) {
        self.doneReason = doneReason
        self.promptEvalCount = promptEvalCount
        self.evalCount = evalCount
        self.totalDurationNanoseconds = totalDurationNanoseconds
    }
}

/// Sampling settings for one chat; nil leaves the model's own default.
public struct ChatOptions: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    /// The most tokens to generate (Ollama's `num_predict`); the answer ends with done reason `length` there.
    public var maxTokens: Int?
    /// Generation stops before any of these strings.
    public var stop: [String]?
    public var seed: Int?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?

    public init(temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, stop: [String]? = nil,
                seed: Int? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
    }

    /// True when every setting is left to the model.
    public var isEmpty: Bool { self == ChatOptions() }
}

/// A model the chat backend has installed.
public struct ChatModelInfo: Sendable, Equatable {
    public var name: String
    /// When it was installed or last changed, in seconds since 1970 (0 when unknown).
    public var modified: Int

    public init(name: String, modified: Int) {
        self.name = name
        self.modified = modified
    }
}

/// Generates answers. Implementations: `OllamaChatClient` (`/api/chat`, streamed).
public protocol ChatClient: Sendable {
    /// Streams the answer of `model` to `messages`; the stream ends after `.done`, or throws `ChatError`.
    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error>
    /// Streams the answer with sampling `options`.
    func chat(model: String, messages: [ChatMessage], options: ChatOptions) -> AsyncThrowingStream<ChatEvent, any Error>
    /// The chat (not embedding) models the backend has.
    ///
    /// - Throws: `ChatError` when the backend cannot be asked, or `.unsupported` when this client cannot list.
    func models() async throws -> [ChatModelInfo]
}

extension ChatClient {
    /// Clients without sampling settings answer as `chat(model:messages:)` does; `OllamaChatClient` honours them.
    public func chat(model: String, messages: [ChatMessage], options: ChatOptions)
        -> AsyncThrowingStream<ChatEvent, any Error>
    {
        chat(model: model, messages: messages)
    }

    public func models() async throws -> [ChatModelInfo] {
        throw ChatError.unsupported("\(type(of: self)) cannot list its models")
    }
}

/// Why a chat failed.
public enum ChatError: Error, Sendable, CustomStringConvertible {
    case unreachable(host: String, reason: String)
    case modelNotFound(model: String, host: String)
    case http(status: Int, message: String)
    /// The stream stopped before Ollama said it was done.
    case cutOff(String)
    case invalidResponse(String)
    /// The client cannot do what was asked.
    case unsupported(String)
    /// One of kb's own caps on an answer was reached (`AnswerLimits`); the message says which and how to raise it.
    case limitReached(String)

    public var description: String {
        switch self {
        case .unreachable(let host, let reason):
            return "cannot reach Ollama at \(host) for the answer: \(reason). Start it with `ollama serve` or set "
                + "OLLAMA_HOST; the sources above are still valid."
        case .modelNotFound(let model, let host):
            return "Ollama at \(host) does not have the chat model \"\(model)\". Run `ollama pull \(model)`, or "
                + "choose another with --chat-model (or KB_CHAT_MODEL)."
        case .http(let status, let message):
            return "Ollama answered HTTP \(status): \(message)"
        case .cutOff(let reason):
            return "the answer stream was cut off: \(reason)"
        case .invalidResponse(let message):
            return "unexpected answer from Ollama: \(message)"
        case .unsupported(let message), .limitReached(let message):
            return message
        }
    }
}
