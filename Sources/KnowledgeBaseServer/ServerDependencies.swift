import KnowledgeBase
import Logging

/// What the routes work with: the knowledge base, the embedder, the chat model, and the server's settings.
public struct ServerDependencies: Sendable {
    public var catalog: Catalog
    /// Replacing the embedder replaces its readiness probe too, so /readyz never probes an embedder no longer used.
    public var embedder: any EmbeddingClient {
        didSet {
            embedderProbe = EmbedderProbe(embedder: embedder, ttl: configuration.readinessCache,
                                          timeout: configuration.readinessTimeout)
        }
    }
    public var chat: any ChatClient
    public var chunker: Chunker
    public var configuration: ServerConfiguration
    public var logger: Logger
    public var metrics: ServerMetrics
    /// Prompt templates for `/v1/ask` (`"template"`), loaded and checked at start-up.
    public var templates: TemplateLibrary
    /// The `/readyz` embedder check, shared by every copy of these dependencies (replace it to change the clock).
    public var embedderProbe: EmbedderProbe

    public init(catalog: Catalog, embedder: any EmbeddingClient, chat: any ChatClient, chunker: Chunker,
                configuration: ServerConfiguration, logger: Logger, metrics: ServerMetrics = ServerMetrics(),
                templates: TemplateLibrary) {
        self.catalog = catalog
        self.embedder = embedder
        self.chat = chat
        self.chunker = chunker
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.templates = templates
        self.embedderProbe = EmbedderProbe(embedder: embedder, ttl: configuration.readinessCache,
                                           timeout: configuration.readinessTimeout)
    }

    var queryEngine: QueryEngine { QueryEngine(catalog: catalog, embedder: embedder, logger: logger) }
    var answerEngine: AnswerEngine {
        AnswerEngine(queryEngine: queryEngine, chat: limitedChat, chatModel: configuration.chatModel)
    }
    /// `answerEngine` telling `meter` about the model's tokens and counters.
    func answerEngine(metered meter: AnswerMeter) -> AnswerEngine {
        AnswerEngine(queryEngine: queryEngine, chat: MeteredChatClient(inner: limitedChat, meter: meter),
                     chatModel: configuration.chatModel)
    }
    /// `chat` within the configured answer limits: every answer the server streams goes through it.
    var limitedChat: any ChatClient { LimitedChatClient(chat, limits: configuration.answerLimits) }
    /// The tool-calling side of `limitedChat`, when `chat` can call tools.
    var limitedToolChat: (any ToolChatClient)? {
        (chat as? any ToolChatClient).map { LimitedToolChatClient($0, limits: configuration.answerLimits) }
    }
    /// `limitedToolChat` telling `meter` about the model's tokens and counters.
    func limitedToolChat(metered meter: AnswerMeter) -> (any ToolChatClient)? {
        limitedToolChat.map { MeteredToolChatClient(inner: $0, meter: meter) }
    }
    var ingester: Ingester { Ingester(catalog: catalog, embedder: embedder, chunker: chunker, logger: logger) }
    var authenticator: Authenticator {
        Authenticator(writeToken: configuration.apiToken, readToken: configuration.readToken)
    }
}
