import Foundation

/// The runbook tools shared by the MCP server and the tool-calling agent: search, read and list runbooks, and
/// (with a chat model) answer from them. Arguments are checked against each tool's schema first; every failure,
/// bad arguments included, comes back as an error result, never as a thrown error.
public struct RunbookTools: Sendable {
    public let queryEngine: QueryEngine
    /// Answers `ask_runbooks`; nil leaves that tool out.
    public let answerEngine: AnswerEngine?
    /// Settings a search starts from (mode, fusion, refusal, filters); a call's arguments override them and its
    /// `where` conditions are added to these.
    public var baseOptions: QueryOptions

    public init(queryEngine: QueryEngine, answerEngine: AnswerEngine? = nil, baseOptions: QueryOptions = QueryOptions()) {
        self.queryEngine = queryEngine
        self.answerEngine = answerEngine
        self.baseOptions = baseOptions
    }

    /// The name of the tool that answers with the chat model (`ask_runbooks`), for callers that measure answers.
    public static var askToolName: String { ask.name }

    /// The tools offered, in the order a model should consider them.
    public var definitions: [ToolDefinition] {
        [Self.search, Self.get, Self.list] + (answerEngine == nil ? [] : [Self.ask])
    }

    /// Runs the tool `name`; passages are numbered by `ledger` (stable across calls) or from 1 for this call.
    public func call(_ name: String, arguments: [String: ToolValue]?, ledger: SourceLedger? = nil) async -> ToolResult {
        guard let definition = definitions.first(where: { $0.name == name }) else {
            return .failure(ToolError.unknownTool(name, known: definitions.map(\.name)))
        }
        let arguments = arguments ?? [:]
        let problems = ToolSchema.problems(.object(arguments), schema: definition.inputSchema)
        guard problems.isEmpty else { return .failure(ToolError.invalidArguments(tool: name, problems: problems)) }
        let ledger = ledger ?? SourceLedger()
        do {
            switch name {
            case Self.search.name: return try await search(arguments, ledger: ledger)
            case Self.get.name: return try get(arguments, ledger: ledger)
            case Self.list.name: return try list(arguments)
            default: return try await ask(arguments)
            }
        } catch {
            return .failure(error)
        }
    }

    /// Query options for a call: the base options with the call's `k`, `mode`, `path_prefix` and `where`.
    func options(_ arguments: [String: ToolValue], defaultK: Int = 5) throws -> QueryOptions {
        var options = baseOptions
        options.k = arguments["k"]?.intValue ?? defaultK
        if let mode = arguments["mode"]?.stringValue.flatMap(SearchMode.init(rawValue:)) { options.mode = mode }
        if let prefix = arguments["path_prefix"]?.stringValue, !prefix.isEmpty { options.pathPrefix = prefix }
        options.filters += Self.filters(arguments["where"])
        return options
    }

    /// Metadata filters from a `where` object already checked against `whereSchema`.
    static func filters(_ value: ToolValue?) -> [MetadataFilter] {
        (value?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { key, wanted in
            switch wanted {
            case .string(let text): return MetadataFilter(key: key, value: text)
            case .bool(let flag): return MetadataFilter(key: key, value: flag ? "true" : "false")
            case .number(let number):
                let text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                return MetadataFilter(key: key, value: text)
            default: return nil
            }
        }
    }

    /// The URI of a runbook as an MCP resource: `kb://runbook/` and the percent-encoded path.
    public static func resourceURI(path: String, source: String? = nil) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%;")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        guard let source else { return "kb://runbook/\(encoded)" }
        var query = CharacterSet.urlQueryAllowed
        query.remove(charactersIn: "&=+#")
        return "kb://runbook/\(encoded)?source=\(source.addingPercentEncoding(withAllowedCharacters: query) ?? source)"
    }
}
