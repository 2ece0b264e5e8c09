import Hummingbird
import HTTPTypes
import KnowledgeBase
import Logging
import ServiceLifecycle

/// Builds the kb HTTP application.
public func buildApplication(_ dependencies: ServerDependencies) -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    return Application(
        router: buildRouter(dependencies),
        server: .http1(configuration: .init(idleTimeout: configuration.idleTimeout.map { .nanoseconds(nanoseconds($0)) })),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "kb"),
        // Shut down in reverse order: the follower leaves the readers table before the WAL is checkpointed.
        services: [CheckpointService(catalog: dependencies.catalog, logger: dependencies.logger),
                   IndexFollowerService(catalog: dependencies.catalog)],
        logger: dependencies.logger)
}

/// A connection that sends nothing (not even a whole request head) for this long is closed; a response being
/// written keeps it open.
func nanoseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

/// The routes, with request ids, logging, metrics and JSON errors on every one.
public func buildRouter(_ dependencies: ServerDependencies) -> Router<KBRequestContext> {
    let router = Router(context: KBRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMiddleware(metrics: dependencies.metrics, logger: dependencies.logger))
    router.add(middleware: HostCheckMiddleware(policy: HostPolicy(configuration: dependencies.configuration)))
    QueryRoutes(dependencies: dependencies).register(on: router)
    ChatCompletionRoutes(dependencies: dependencies).register(on: router)
    DocumentRoutes(dependencies: dependencies).register(on: router)
    HealthRoutes(dependencies: dependencies).register(on: router)
    MCPRoutes(dependencies: dependencies).register(on: router)
    WebRoutes().register(on: router)
    OpenAPIRoutes().register(on: router)
    return router
}

extension RouterMethods where Context == KBRequestContext {
    /// Answers 405 with `Allow` on `path` for every method it does not serve.
    func restrict(_ path: RouterPath, to allowed: [HTTPRequest.Method]) {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] where !allowed.contains(method) {
            on(path, method: method) { _, _ -> Response in
                throw APIError(.methodNotAllowed, code: "method_not_allowed", "use \(allow) on this path",
                               headers: [.allow: allow])
            }
        }
    }
}

/// Runs until shutdown, then checkpoints the WAL so the database file is complete on its own.
struct CheckpointService: Service {
    let catalog: Catalog
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try catalog.store.checkpoint()
            logger.info("database checkpointed", metadata: ["db.path": "\(catalog.store.location)"])
        } catch {
            logger.error("database checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}

/// Keeps the in-memory index following every write to the store, by this process or any other, until shutdown.
struct IndexFollowerService: Service {
    let catalog: Catalog

    func run() async throws {
        try await cancelWhenGracefulShutdown { await catalog.follow() }
    }
}
