/// A tool a model can call: its name, what it is for, and the JSON Schema of its arguments.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    /// A short human-readable name.
    public var title: String
    /// When to use the tool and what it returns, written for the model that chooses it.
    public var description: String
    public var inputSchema: ToolValue

    public init(name: String, title: String, description: String, inputSchema: ToolValue) {
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
    }
}

/// What a tool call produced: text for a model to read, the same as structured JSON, and the passages it showed.
public struct ToolResult: Sendable {
    /// The result as a model reads it; for an error, what was wrong and how to call the tool instead.
    public var text: String
    public var structured: ToolValue?
    public var isError: Bool
    /// Runbook passages the result showed, numbered as the text numbers them (for checking citations).
    public var sources: [QueryHit]

    public init(text: String, structured: ToolValue? = nil, isError: Bool = false, sources: [QueryHit] = []) {
        self.text = text
        self.structured = structured
        self.isError = isError
        self.sources = sources
    }

    /// For an internal failure (a database error, anything unexpected): its description, for the server's log
    /// only; `text` then says just that the call failed, so SQL and file paths never reach an MCP client or a model.
    public var internalError: String?

    /// An error result carrying `error`'s description, or for an internal failure a generic text (the description
    /// is kept in `internalError`).
    public static func failure(_ error: any Error) -> ToolResult {
        guard isInternal(error) else { return ToolResult(text: "\(error)", isError: true) }
        var result = ToolResult(text: "the knowledge base could not answer this call (an internal error); the "
                                    + "server's log has the detail", isError: true)
        result.internalError = "\(error)"
        return result
    }

    /// Errors whose description is for the operator, not the caller: store failures other than bad input or a
    /// missing document, and errors of no kb type.
    static func isInternal(_ error: any Error) -> Bool {
        switch error {
        case let error as StoreError:
            switch error {
            case .invalidInput, .documentNotFound: return false
            default: return true
            }
        case is ToolError, is QueryError, is EmbeddingError, is ChatError, is IndexError: return false
        default: return true
        }
    }
}

/// Why a tool call could not be answered.
public enum ToolError: Error, Sendable, CustomStringConvertible, Equatable {
    case unknownTool(String, known: [String])
    case invalidArguments(tool: String, problems: [String])
    case notFound(String)

    public var description: String {
        switch self {
        case .unknownTool(let name, let known):
            return "there is no tool \"\(name)\"; the tools are " + known.joined(separator: ", ") + "."
        case .invalidArguments(let tool, let problems):
            return "invalid arguments for \(tool): " + problems.joined(separator: "; ") + "."
        case .notFound(let message):
            return message
        }
    }
}
