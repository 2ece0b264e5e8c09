/// A tool call as the model wrote it; either part may be missing or malformed, which the caller answers as a
/// tool error.
public struct ToolCall: Sendable, Equatable {
    public var name: String?
    /// Usually an object; a model may also send a JSON string of one, or something else entirely.
    public var arguments: ToolValue?

    public init(name: String?, arguments: ToolValue?) {
        self.name = name
        self.arguments = arguments
    }
}

/// One message of a conversation with tools: the model's calls, and the results sent back (`role` "tool").
public struct AgentMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public var toolCalls: [ToolCall]
    /// For a tool result: the tool that produced it.
    public var toolName: String?

    public init(role: String, content: String, toolCalls: [ToolCall] = [], toolName: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolName = toolName
    }
}

/// What one streamed turn with tools produces: pieces of text, the calls the model makes, then `done`.
public enum ToolChatEvent: Sendable, Equatable {
    case token(String)
    case toolCalls([ToolCall])
    case done(ChatStats)
}

/// A chat model that can call tools. Implementations: `OllamaChatClient` (`/api/chat` with `tools`).
public protocol ToolChatClient: Sendable {
    /// Streams one turn of `model` with `tools` offered (none: the model must answer in text).
    ///
    /// A model that cannot call tools fails with `ChatError.http` whose message says so
    /// (`ChatError.refusesTools` recognises it).
    func chat(model: String, messages: [AgentMessage], tools: [ToolDefinition])
        -> AsyncThrowingStream<ToolChatEvent, any Error>
}

extension ChatError {
    /// True when Ollama refused the request because the model cannot call tools ("… does not support tools").
    public var refusesTools: Bool {
        guard case .http(let status, let message) = self else { return false }
        return status == 400 && message.contains("does not support tools")
    }
}
