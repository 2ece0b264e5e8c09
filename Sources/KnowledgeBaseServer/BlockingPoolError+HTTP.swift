import HTTPTypes
import KnowledgeBase

extension BlockingPoolError {
    /// Too busy is temporary: 503 with `Retry-After`, so clients and load balancers back off and retry.
    var apiError: APIError {
        APIError(.serviceUnavailable, code: "busy", description, headers: [.retryAfter: "1"])
    }
}
