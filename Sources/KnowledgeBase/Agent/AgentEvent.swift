/// One tool call the agent made for the model, as reported to whoever watches the answer.
public struct AgentToolCall: Sendable, Equatable, Codable {
    /// The tool's name as the model wrote it ("" when it wrote none).
    public var name: String
    public var arguments: ToolValue
    public var isError: Bool
    /// The error told to the model, when the call failed.
    public var error: String?
    /// Numbers of the passages the result showed.
    public var sources: [Int]

    enum CodingKeys: String, CodingKey {
        case name, arguments, error, sources
        case isError = "is_error"
    }
}

/// What an agent's answer streams: tool calls as they are made, passages as they are first shown, notes, the
/// answer's text, and finally the answer ready for citation checking.
public enum AgentEvent: Sendable {
    case toolCall(AgentToolCall)
    /// Passages shown to the model for the first time, with their numbers.
    case sources([QueryHit])
    /// Something the reader should know about how the answer came about (a fallback, an exhausted limit).
    case note(String)
    case token(String)
    /// The answer is complete: every passage shown, numbered, to check its citations against.
    case finished(PreparedAnswer)
}
