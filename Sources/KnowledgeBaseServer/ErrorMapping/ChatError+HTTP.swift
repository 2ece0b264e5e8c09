import HTTPTypes
import Hummingbird
import KnowledgeBase

extension ChatError: APIErrorConvertible {
    /// A model Ollama lacks is the client's mistake (404), Ollama down is 503, Ollama refusing the request 400,
    /// anything else from it 502.
    public var apiError: APIError {
        switch self {
        case .modelNotFound:
            return APIError(.notFound, code: "model_not_found", description)
        case .unreachable:
            return APIError(.serviceUnavailable, code: "upstream_unavailable", description,
                            headers: [.retryAfter: "10"])
        case .http(let status, _) where (400..<500).contains(status) && status != 429:
            // Ollama refused the request itself, e.g. "all-minilm does not support chat".
            return APIError(.badRequest, code: "upstream_rejected", description)
        case .unsupported:
            return APIError(.notImplemented, code: "unsupported", description)
        default:
            return APIError(.badGateway, code: "upstream_error", description)
        }
    }
}
