import HTTPTypes
import Hummingbird
import KnowledgeBase

extension EmbeddingError: APIErrorConvertible {
    /// Fatal failures (embedder down, model missing) are 503 with `Retry-After`; a text the embedder refuses is
    /// 422; any other failure of the embedder 502.
    public var apiError: APIError {
        if isFatal {
            return APIError(.serviceUnavailable, code: "embedder_unavailable", description,
                            headers: [.retryAfter: "10"])
        }
        if case .input = self { return APIError(.unprocessableContent, code: "embedding_rejected", description) }
        return APIError(.badGateway, code: "embedder_error", description)
    }
}
