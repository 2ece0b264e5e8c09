import HTTPTypes
import KnowledgeBase

extension BlockingPoolError: APIErrorConvertible {
    /// Too busy is temporary: 503 with `Retry-After`, so clients and load balancers back off and retry.
    public var apiError: APIError {
        APIError(.serviceUnavailable, code: "busy", description, headers: [.retryAfter: "1"])
    }
}
