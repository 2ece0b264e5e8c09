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

/// Generates answers. Implementations: `OllamaChatClient` (`/api/chat`, streamed).
public protocol ChatClient: Sendable {
    /// Streams the answer of `model` to `messages`; the stream ends after `.done`, or throws `ChatError`.
    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error>
}

/// Why a chat failed.
public enum ChatError: Error, Sendable, CustomStringConvertible {
    case unreachable(host: String, reason: String)
    case modelNotFound(model: String, host: String)
    case http(status: Int, message: String)
    /// The stream stopped before Ollama said it was done.
    case cutOff(String)
    case invalidResponse(String)

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
        }
    }
}
