import Foundation
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Logging
import Synchronization
@testable import KnowledgeBaseServer

let quietLogger: Logger = {
    var logger = Logger(label: "kb.server.test", factory: { _ in SwiftLogNoOpLogHandler() })
    logger.logLevel = .critical
    return logger
}()

/// A chat model stand-in: answers with fixed tokens (or fails after some), and counts calls.
final class FakeChat: ChatClient {
    let tokens: [String]
    let failAfter: Int?
    let delay: Double
    /// What `models()` lists; nil makes it fail as an unreachable Ollama would.
    let installed: [ChatModelInfo]?
    /// Models `chat` answers for; any other fails as Ollama's 404 does. Nil answers every model.
    let known: Set<String>?
    private let calls = Mutex<[(model: String, messages: [ChatMessage], options: ChatOptions)]>([])

    init(tokens: [String] = ["Free ", "space ", "with ", "logrotate ", "[1]", " and [7]."], failAfter: Int? = nil,
         delay: Double = 0, installed: [ChatModelInfo]? = [ChatModelInfo(name: "llama3.2:latest", modified: 1_700_000_000)],
         known: Set<String>? = nil) {
        self.tokens = tokens
        self.failAfter = failAfter
        self.delay = delay
        self.installed = installed
        self.known = known
    }

    var received: [[ChatMessage]] { calls.withLock { $0.map(\.messages) } }
    var receivedModels: [String] { calls.withLock { $0.map(\.model) } }
    var receivedOptions: [ChatOptions] { calls.withLock { $0.map(\.options) } }

    func models() async throws -> [ChatModelInfo] {
        guard let installed else { throw ChatError.unreachable(host: "http://127.0.0.1:11434", reason: "Connection refused") }
        return installed
    }

    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        chat(model: model, messages: messages, options: ChatOptions())
    }

    func chat(model: String, messages: [ChatMessage], options: ChatOptions) -> AsyncThrowingStream<ChatEvent, any Error> {
        calls.withLock { $0.append((model, messages, options)) }
        let tokens = tokens, failAfter = failAfter, delay = delay
        if let known, !known.contains(model) {
            return AsyncThrowingStream { $0.finish(throwing: ChatError.modelNotFound(model: model, host: "http://127.0.0.1:11434")) }
        }
        let limit = options.maxTokens
        return AsyncThrowingStream { continuation in
            Task {
                for (index, token) in tokens.enumerated() {
                    if let limit, index == limit {
                        continuation.yield(.done(ChatStats(doneReason: "length", promptEvalCount: 10, evalCount: index)))
                        continuation.finish()
                        return
                    }
                    if let failAfter, index == failAfter {
                        continuation.finish(throwing: ChatError.cutOff("connection reset by peer"))
                        return
                    }
                    if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
                    continuation.yield(.token(token))
                }
                continuation.yield(.done(ChatStats(doneReason: "stop", promptEvalCount: 10, evalCount: tokens.count)))
                continuation.finish()
            }
        }
    }
}

/// Hash vectors, or a fatal "unreachable" error once `down` is set.
final class SwitchableEmbedder: EmbeddingClient {
    let kind = "hash", model = "hash-v1", contextTokens = 512, preferredBatchSize = 64, maxConcurrentRequests = 1
    let down = Atomic<Bool>(false)
    private let hash = HashEmbedder()

    func embed(_ texts: [String]) async throws -> [[Float]] {
        if down.load(ordering: .relaxed) {
            throw EmbeddingError.unreachable(host: "http://127.0.0.1:11434", reason: "Connection refused")
        }
        return texts.map(hash.vector)
    }
}

/// A server over a fresh temporary knowledge base holding two runbooks.
struct TestServer {
    let directory: URL
    let dependencies: ServerDependencies
    let embedder: SwitchableEmbedder
    let chat: FakeChat

    init(configuration: ServerConfiguration = ServerConfiguration(), chat: FakeChat = FakeChat(),
         toolChat: (any ChatClient)? = nil, seed: Bool = true) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kb-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let catalog = Catalog(store: try SQLiteStore(path: directory.appendingPathComponent("kb.sqlite").path),
                              logger: quietLogger)
        embedder = SwitchableEmbedder()
        self.chat = chat
        dependencies = ServerDependencies(catalog: catalog, embedder: embedder, chat: toolChat ?? chat, chunker: Chunker(),
                                          configuration: configuration, logger: quietLogger,
                                          templates: try TemplateLibrary())
        if seed {
            let ingester = Ingester(catalog: catalog, embedder: embedder, chunker: Chunker(), logger: quietLogger)
            _ = try await ingester.add(path: "disk-full.md", content: """
                # Disk full
                ## Diagnosis
                Run df -h to find the full filesystem.
                ## Mitigation
                Rotate and compress logs with logrotate; delete old journal files.
                """, format: .markdown)
            _ = try await ingester.add(path: "cert-expiry.md", content: """
                # Certificate expiry
                ## Renew
                Run certbot renew and reload nginx.
                """, format: .markdown)
        }
    }

    var application: some ApplicationProtocol { Application(router: buildRouter(dependencies)) }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    var stats: StoreStats { get throws { try dependencies.catalog.store.stats() } }
}

extension TestClientProtocol {
    /// Sends `json` (an encodable dictionary or a raw string) to `uri`.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers: HTTPFields = [:],
              contentType: String? = "application/json") async throws -> TestResponse {
        var fields = headers
        if json != nil, let contentType { fields[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String { (object["error"] as? [String: Any])?["message"] as? String ?? "" }
}

extension ServerConfiguration {
    /// The defaults, but clients may name any chat model (for tests of models other than the configured one).
    static var anyChatModel: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.chatModels = .any
        return configuration
    }
}
