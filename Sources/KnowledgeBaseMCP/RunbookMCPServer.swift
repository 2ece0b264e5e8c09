import Foundation
import KnowledgeBase
import Logging
import MCP

/// Builds MCP servers that offer the runbook tools and the runbooks as resources (`kb://runbook/{path}`).
///
/// One `Server` serves one connection: `kb mcp` makes one for stdio, the HTTP endpoint one per request.
public struct RunbookMCPServer: Sendable {
    public let tools: RunbookTools
    public let logger: Logger
    /// Runbooks per `resources/list` page.
    public var pageSize = 200

    public static let name = "kb"
    public static let version = "0.1.0"
    public static let instructions = """
        kb holds an operations team's runbooks. Call search_runbooks first for any question about diagnosing, \
        operating or fixing systems, cite the numbered passages it returns, and read a whole runbook with \
        get_runbook (or the kb://runbook/{path} resource) when a passage is not enough.
        """

    public init(tools: RunbookTools, logger: Logger) {
        self.tools = tools
        self.logger = logger
    }

    /// A new server with every handler registered; start it on a transport.
    public func makeServer() async -> Server {
        let server = Server(name: Self.name, version: Self.version, title: "kb runbooks",
                            instructions: Self.instructions,
                            capabilities: .init(resources: .init(subscribe: false, listChanged: false),
                                                tools: .init(listChanged: false)))
        let tools = self.tools, logger = self.logger, pageSize = self.pageSize
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: tools.definitions.map(Self.tool))
        }
        await server.withMethodHandler(CallTool.self) { params in
            let started = ContinuousClock.now
            let result = await tools.call(params.name, arguments: params.arguments?.mapValues(Self.toolValue))
            let elapsed = started.duration(to: .now).components
            if let detail = result.internalError {
                logger.error("mcp tool call failed", metadata: ["mcp.tool": "\(params.name)", "error": "\(detail)"])
            }
            logger.debug("mcp tool call", metadata: [
                "mcp.tool": "\(params.name)", "mcp.error": "\(result.isError)",
                "duration_ms": "\(String(format: "%.3f", Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15))",
            ])
            return CallTool.Result(content: [.text(text: result.text, annotations: nil, _meta: nil)],
                                   structuredContent: result.structured.map(Self.value), isError: result.isError)
        }
        await server.withMethodHandler(ListResources.self) { params in
            try RunbookResources(tools: tools).list(cursor: params.cursor, pageSize: pageSize)
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: [RunbookResources.template])
        }
        await server.withMethodHandler(ReadResource.self) { params in
            try RunbookResources(tools: tools).read(params.uri)
        }
        return server
    }

    static func tool(_ definition: ToolDefinition) -> Tool {
        Tool(name: definition.name, title: definition.title, description: definition.description,
             inputSchema: value(definition.inputSchema),
             annotations: .init(title: definition.title, readOnlyHint: true, destructiveHint: false,
                                idempotentHint: true, openWorldHint: false))
    }

    // Converted member by member: decoding `Value` from JSON tries every string as a data URL with a Swift Regex,
    // which cost about 10 ms for one search result's strings.

    /// An MCP argument as a tool value; a data URL the SDK decoded arrives as the string that was sent.
    static func toolValue(_ value: Value) -> ToolValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .number(Double(number))
        case .double(let number): return .number(number)
        case .string(let text): return .string(text)
        case .data(let mimeType, let data):
            return .string("data:\(mimeType ?? "");base64,\(data.base64EncodedString())")
        case .array(let items): return .array(items.map(toolValue))
        case .object(let members): return .object(members.mapValues(toolValue))
        }
    }

    static func value(_ value: ToolValue) -> Value {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? .int(Int(number)) : .double(number)
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(Self.value))
        case .object(let members): return .object(members.mapValues(Self.value))
        }
    }
}
