/// Settings of `kb serve`, built once from flags and environment.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Bearer token for writes (`KB_API_TOKEN`); nil leaves writes open, which only loopback allows by default.
    public var apiToken: String?
    /// Bearer token for reads (queries, listings); nil leaves reads open.
    public var readToken: String?
    /// Start on a non-loopback address without a write token.
    public var allowUnauthenticated: Bool
    public var maxQueryBytes: Int
    public var maxDocumentBytes: Int
    /// Largest `/v1/chat/completions` body: a whole conversation, so larger than a query.
    public var maxChatBytes: Int
    /// Chat model for `/v1/ask` when the request names none (`KB_CHAT_MODEL`).
    public var chatModel: String
    /// Host names (without port) requests may carry in `Host` and `Origin` besides the local ones and the bound
    /// address (`--allowed-host`, `KB_ALLOWED_HOSTS`); `*` accepts any.
    public var allowedHosts: [String] = []
    /// Close a connection that sends nothing for this long (`--idle-timeout`); nil never does.
    public var idleTimeout: Duration? = .seconds(60)
    /// Offer the `ask_runbooks` MCP tool on `/mcp` (when a chat model was named with --chat-model or KB_CHAT_MODEL).
    public var offersAskTool = false

    public init(host: String = "127.0.0.1", port: Int = 8080, apiToken: String? = nil, readToken: String? = nil,
                allowUnauthenticated: Bool = false, maxQueryBytes: Int = 16 * 1024,
                maxDocumentBytes: Int = 10 * 1024 * 1024, maxChatBytes: Int = 1024 * 1024,
                chatModel: String = "llama3.2") {
        self.host = host
        self.port = port
        self.apiToken = apiToken.flatMap { $0.isEmpty ? nil : $0 }
        self.readToken = readToken.flatMap { $0.isEmpty ? nil : $0 }
        self.allowUnauthenticated = allowUnauthenticated
        self.maxQueryBytes = maxQueryBytes
        self.maxDocumentBytes = maxDocumentBytes
        self.maxChatBytes = maxChatBytes
        self.chatModel = chatModel
    }

    /// True for 0.0.0.0, :: and an empty host: every address of the machine.
    public var isWildcard: Bool {
        ["0.0.0.0", "::", "[::]", ""].contains(host)
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Why the server must not start with these settings, if it must not.
    public func startupProblem() -> String? {
        if apiToken == nil && !isLoopback && !allowUnauthenticated {
            return "refusing to listen on \(host) without a write token: anyone who can reach it could change the "
                + "knowledge base. Set KB_API_TOKEN (or --write-token-file), listen on 127.0.0.1, or pass --allow-unauthenticated."
        }
        return nil
    }
}
