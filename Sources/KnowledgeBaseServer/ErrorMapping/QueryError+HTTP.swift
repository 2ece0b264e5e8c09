import HTTPTypes
import Hummingbird
import KnowledgeBase

extension QueryError: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .emptyKnowledgeBase:
            // The description names the database file; the client needs only what to do.
            return APIError(.conflict, code: "empty_knowledge_base",
                            "the knowledge base holds no documents yet; add some with POST /v1/documents or "
                                + "`kb ingest PATH`.")
        case .embedderMismatch: return APIError(.conflict, code: "embedder_mismatch", description)
        case .invalidQuestion: return .badRequest(description)
        case .indexChanged:
            return APIError(.serviceUnavailable, code: "index_changed", description, headers: [.retryAfter: "1"])
        }
    }
}
