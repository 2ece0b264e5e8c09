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
            let result = await tools.call(params.name, arguments: try params.arguments.map(Self.toolArguments))
            logger.debug("mcp tool call", metadata: [
                "mcp.tool": "\(params.name)", "mcp.error": "\(result.isError)",
                "duration_ms": "\(started.duration(to: .now))",
            ])
            return CallTool.Result(content: [.text(text: result.text, annotations: nil, _meta: nil)],
                                   structuredContent: try result.structured.map(Self.value), isError: result.isError)
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
             inputSchema: (try? value(definition.inputSchema)) ?? .object([:]),
             annotations: .init(title: definition.title, readOnlyHint: true, destructiveHint: false,
                                idempotentHint: true, openWorldHint: false))
    }

    /// MCP arguments as tool values, through JSON so every kind of value (data URLs included) arrives as sent.
    static func toolArguments(_ arguments: [String: Value]) throws -> [String: ToolValue] {
        try JSONDecoder().decode([String: ToolValue].self, from: try JSONEncoder().encode(arguments))
    }

    static func value(_ value: ToolValue) throws -> Value {
        try JSONDecoder().decode(Value.self, from: try JSONEncoder().encode(value))
    }
}
