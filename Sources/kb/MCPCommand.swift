import ArgumentParser
import Foundation
import KnowledgeBase
import KnowledgeBaseMCP
import MCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the runbooks to an MCP client (Claude Desktop, an IDE, an agent) over stdio.",
        discussion: """
            Speaks the Model Context Protocol on stdin/stdout; logs go to stderr only. Tools: search_runbooks \
            (cited passages), get_runbook (a whole runbook), list_runbooks, and ask_runbooks (an answer from \
            kb's own chat model) when --chat-model or KB_CHAT_MODEL names one. Every runbook is also a resource, \
            kb://runbook/{path}. The server follows writes to the knowledge base by other processes. \
            `kb serve` offers the same over HTTP at /mcp.

            Claude Desktop (claude_desktop_config.json):
              {"mcpServers": {"runbooks": {"command": "kb", "args": ["mcp", "--db", "/path/to/kb.sqlite"]}}}
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var ignoredBatching: IgnoredBatchOptions

    @Option(help: ArgumentHelp("Chat model for the ask_runbooks tool (env KB_CHAT_MODEL); without one that tool "
                               + "is not offered.", valueName: "name"))
    var chatModel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = global.makeLogger()
        let catalog = try global.openCatalog(logger: logger, create: false, precision: index.indexPrecision)
        let embedder = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger)
        let queryEngine = QueryEngine(catalog: catalog, embedder: embedder, logger: logger)
        var answerEngine: AnswerEngine?
        if let model = chatModel ?? environment["KB_CHAT_MODEL"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let chat = OllamaChatClient(host: OllamaConfiguration.normaliseHost(environment["OLLAMA_HOST"]))
            answerEngine = AnswerEngine(queryEngine: queryEngine, chat: chat, chatModel: model)
        }
        try catalog.loadIndex()
        let follower = Task { await catalog.follow() }
        defer { follower.cancel() }
        let server = await RunbookMCPServer(tools: RunbookTools(queryEngine: queryEngine, answerEngine: answerEngine),
                                            logger: logger).makeServer()
        logger.info("kb mcp serving on stdio", metadata: ["db.path": "\(catalog.store.location)"])
        try await server.start(transport: LineStdioTransport(logger: logger))
        await server.waitUntilCompleted()
    }
}
