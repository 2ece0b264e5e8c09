import KnowledgeBase
import Logging

extension HealthRoutes {
    /// What `/readyz` (unauthenticated) says of a failed check: what is not ready, never file paths, SQL or
    /// addresses; the detail is logged.
    func notReady(_ check: String, _ error: any Error) -> String {
        dependencies.logger.warning("readiness check failed", metadata: ["readiness.check": "\(check)",
                                                                         "error": "\(error)"])
        return Self.summary(of: error, embedder: dependencies.embedder)
    }

    static func summary(of error: any Error, embedder: any EmbeddingClient) -> String {
        switch error {
        case StoreError.unavailable:
            return "not ready: the database cannot be reached"
        case is StoreError:
            return "not ready: the database failed to answer"
        case let error as EmbeddingError:
            let name = "\(embedder.kind) \(embedder.model)"
            switch error {
            case .unreachable: return "not ready: the embedder (\(name)) cannot be reached"
            case .modelNotFound: return "not ready: the embedder does not have the model \(embedder.model)"
            case .timedOut: return "not ready: the embedder (\(name)) did not answer in time"
            case .http(let status, _, _): return "not ready: the embedder (\(name)) answered HTTP \(status)"
            default: return "not ready: the embedder (\(name)) failed"
            }
        case is MiniLMError:
            return "not ready: the built-in embedder's model cannot be loaded"
        default:
            return "not ready: failed; see the server log"
        }
    }
}
