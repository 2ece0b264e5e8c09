import ArgumentParser
import Foundation
import Hummingbird
import KnowledgeBase
import KnowledgeBaseServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the knowledge base over HTTP: query, ask (streamed), OpenAI-compatible chat, documents, health "
            + "and metrics.",
        discussion: """
            The server follows every write to the knowledge base, by itself or by any other process (`kb ingest`, \
            `kb sync`, `kb reindex`, another `kb serve` on the same file): changes are applied to its in-memory index \
            before each query and in the background (within about 50 ms when idle); /readyz and /metrics report the \
            change it has reached and how far behind it is.

            Writes (POST/PUT/DELETE /v1/documents) need `Authorization: Bearer <write token>`: KB_API_TOKEN, or \
            the file --write-token-file names. Without one, on a loopback address kb serve generates a token at \
            first start and keeps it beside the database (`<db>.write-token`, mode 0600; for PostgreSQL in \
            $KB_STATE_DIR, $XDG_STATE_HOME/kb or ~/.local/state/kb) and says on stderr where it is; elsewhere it \
            refuses to start. --allow-unauthenticated leaves writes open instead. A wrong token is 401, the read \
            token on a write 403. SIGTERM or Ctrl-C drains requests in flight and closes the database cleanly.

            Requests must name this server in `Host` (localhost, 127.0.0.1, [::1], the --host address, or an \
            --allowed-host name; on 0.0.0.0 or :: also the machine's host names and addresses), and a POST, PUT, \
            PATCH or DELETE sent with an `Origin` must come from one of those hosts: a web page of another site, or \
            one whose name was re-pointed at 127.0.0.1 (DNS rebinding), gets 403. `--allowed-host '*'` turns the \
            check off (behind a proxy that checks itself).

            POST /mcp is the MCP server (the tools and resources of `kb mcp`) over streamable HTTP, stateless, behind \
            the read token; `"agent": true` on /v1/ask lets the chat model call the runbook tools itself.

            Every answer is capped: --max-answer-tokens (also sent to Ollama as num_predict) and --chat-timeout; an \
            answer that reaches a cap ends with an error event naming it. Clients may only name the chat models of \
            --chat-models (default: only --chat-model). Blocking calls run on bounded thread pools \
            (--blocking-threads and --blocking-queue for the embedder, --max-answers for answer streams); when one is \
            full the request gets 503 with Retry-After at once. /readyz probes the embedder at most once at a time \
            and reuses the outcome for 2 s.

            Environment: KB_API_TOKEN (write token), KB_API_TOKEN_FILE, KB_READ_TOKEN (read token), \
            KB_READ_TOKEN_FILE, KB_ALLOWED_HOSTS (comma-separated), KB_CHAT_MODEL (chat model for \
            /v1/ask and the model `kb` on /v1/chat/completions, default llama3.2), KB_CHAT_MODELS, OLLAMA_HOST, KB_DB.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var batching: EmbeddingBatchOptions

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host"))
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on.", valueName: "port"))
    var port: Int = 8080

    @Option(help: ArgumentHelp("Token required for reads too (env KB_READ_TOKEN); visible in ps, so prefer "
                               + "--read-token-file.", valueName: "token"))
    var readToken: String?

    @Option(help: ArgumentHelp("File holding the read token, one line (env KB_READ_TOKEN_FILE).", valueName: "path"))
    var readTokenFile: String?

    @Option(help: ArgumentHelp("File holding the write token, one line (env KB_API_TOKEN_FILE; else KB_API_TOKEN).",
                               valueName: "path"))
    var writeTokenFile: String?

    @Option(name: .customLong("allowed-host"), help: ArgumentHelp(
        "Another name clients reach this server by, accepted in Host and Origin (repeatable; env KB_ALLOWED_HOSTS, "
            + "comma-separated; '*' accepts any).", valueName: "name"))
    var allowedHosts: [String] = []

    @Option(help: ArgumentHelp("Close a connection that sends nothing (not even a whole request head) for this many "
                               + "seconds; 0 never does.", valueName: "seconds"))
    var idleTimeout: Double = 60

    @Flag(help: "Create the knowledge base file if it does not exist (otherwise a missing --db is an error).")
    var create = false

    @Flag(help: ArgumentHelp("Leave writes open: no write token is generated on loopback, and a non-loopback address "
        + "starts without KB_API_TOKEN (anyone who can reach it can then change documents)."))
    var allowUnauthenticated = false

    @Option(help: ArgumentHelp("Largest query or ask body in bytes.", valueName: "bytes"))
    var maxQueryBytes: Int = 16 * 1024

    @Option(help: ArgumentHelp("Largest addDocument body in bytes.", valueName: "bytes"))
    var maxDocumentBytes: Int = 10 * 1024 * 1024

    @Option(help: ArgumentHelp("Largest /v1/chat/completions body (a whole conversation) in bytes.", valueName: "bytes"))
    var maxChatBytes: Int = 1024 * 1024

    @Option(help: ArgumentHelp("Chat model for /v1/ask (env KB_CHAT_MODEL, default llama3.2).", valueName: "name"))
    var chatModel: String?

    @Option(help: ArgumentHelp("Chat models clients may name in /v1/ask and /v1/chat/completions besides --chat-model, "
                               + "comma-separated; * allows any (env KB_CHAT_MODELS; default: only --chat-model).",
                               valueName: "a,b"))
    var chatModels: String?

    @Option(help: ArgumentHelp("Most tokens in one answer (sent to Ollama as num_predict); an answer that reaches it "
                               + "ends with an error saying so.", valueName: "tokens"))
    var maxAnswerTokens: Int = 2048

    @Option(help: ArgumentHelp("Longest one answer may take, in seconds; then it is stopped with an error saying so.",
                               valueName: "seconds"))
    var chatTimeout: Double = 300

    @Option(help: ArgumentHelp("Threads for blocking embedder calls (Ollama requests, built-in forward passes).",
                               valueName: "count"))
    var blockingThreads: Int = 16

    @Option(help: ArgumentHelp("Embedder calls that may wait for a thread; past that a request gets 503 with "
                               + "Retry-After at once.", valueName: "count"))
    var blockingQueue: Int = 256

    @Option(help: ArgumentHelp("Answers streamed from the chat model at once (one thread each); as many more wait, "
                               + "past that 503 with Retry-After.", valueName: "count"))
    var maxAnswers: Int = 32

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0–65535.") }
        guard maxQueryBytes >= 256 else { throw ValidationError("--max-query-bytes must be at least 256.") }
        guard maxDocumentBytes >= 1024 else { throw ValidationError("--max-document-bytes must be at least 1024.") }
        guard maxChatBytes >= 1024 else { throw ValidationError("--max-chat-bytes must be at least 1024.") }
        guard idleTimeout.isFinite, idleTimeout >= 0 else {
            throw ValidationError("--idle-timeout must be a number of seconds, 0 or more (0 never closes).")
        }
        if readToken != nil && readTokenFile != nil {
            throw ValidationError("give either --read-token or --read-token-file, not both.")
        }
        guard (1...1024).contains(blockingThreads) else { throw ValidationError("--blocking-threads must be 1–1024.") }
        guard (0...100_000).contains(blockingQueue) else { throw ValidationError("--blocking-queue must be 0–100000.") }
        guard (1...1024).contains(maxAnswers) else { throw ValidationError("--max-answers must be 1–1024.") }
        guard (1...1_000_000).contains(maxAnswerTokens) else {
            throw ValidationError("--max-answer-tokens must be 1–1000000.")
        }
        guard chatTimeout >= 1, chatTimeout <= 86_400 else {
            throw ValidationError("--chat-timeout must be 1–86400 seconds.")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = global.makeLogger(defaultLevel: "info")
        var configuration = ServerConfiguration(
            host: host, port: port, apiToken: try writeTokenGiven(environment, logger: logger),
            readToken: try readTokenGiven(environment, logger: logger), allowUnauthenticated: allowUnauthenticated,
            maxQueryBytes: maxQueryBytes, maxDocumentBytes: maxDocumentBytes, maxChatBytes: maxChatBytes,
            chatModel: chatModel ?? environment["KB_CHAT_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "llama3.2")
        configuration.offersAskTool = chatModel != nil || environment["KB_CHAT_MODEL"].map { !$0.isEmpty } == true
        configuration.allowedHosts = allowedHosts
            + (environment["KB_ALLOWED_HOSTS"] ?? "").split(separator: ",").map { String($0) }
        configuration.idleTimeout = idleTimeout > 0 ? Duration.milliseconds(Int64(idleTimeout * 1000)) : nil
        configuration.chatModels = ChatModelPolicy(list: chatModels ?? environment["KB_CHAT_MODELS"])
        configuration.answerLimits = AnswerLimits(maxTokens: maxAnswerTokens,
                                                  timeout: .milliseconds(Int64(chatTimeout * 1000)))
        if let problem = configuration.startupProblem() { throw CommandError(problem) }
        if configuration.apiToken == nil && configuration.isLoopback && !allowUnauthenticated {
            configuration.apiToken = try generatedWriteToken(environment, logger: logger)
        }
        let templates = try TemplateLibrary(directory: environment["KB_TEMPLATES"])
        let catalog = try global.openCatalog(logger: logger, create: create, precision: index.indexPrecision)
        // Two pools, so long answer streams never hold the threads that short embedding calls need.
        let embedPool = BlockingPool(name: "kb-embed", threads: blockingThreads, queueLimit: blockingQueue,
                                     advice: "start kb serve with more --blocking-threads or --blocking-queue")
        let answerPool = BlockingPool(name: "kb-answer", threads: maxAnswers, queueLimit: maxAnswers,
                                      advice: "start kb serve with more --max-answers")
        let embedder = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger, pool: embedPool,
                                                batching: batching)
        try catalog.loadIndex()
        let chat = OllamaChatClient(host: OllamaConfiguration.normaliseHost(environment["OLLAMA_HOST"]),
                                    pool: answerPool)
        let options = ChunkerOptions(contextTokens: embedder.contextTokens)
        let dependencies = ServerDependencies(catalog: catalog, embedder: embedder, chat: chat,
                                              chunker: Chunker(options: options), configuration: configuration,
                                              logger: logger, templates: templates)
        logger.info("kb serve starting", metadata: [
            "kb.version": "\(BuildInfo.version)", "kb.commit": "\(BuildInfo.commit)",
            "server.address": "\(host):\(port)", "db.path": "\(catalog.store.location)",
            "embedder": "\(embedder.kind) \(embedder.model)", "auth.writes": "\(configuration.apiToken != nil)",
            "auth.reads": "\(configuration.readToken != nil)",
        ])
        try await buildApplication(dependencies).runService()
    }
}
