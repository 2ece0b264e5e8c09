import HTTPTypes
import Hummingbird
import KnowledgeBase

extension StoreError: APIErrorConvertible {
    /// Bad input is 400 and a missing document 404; a database that cannot be reached is 503 without its address;
    /// everything else (SQL errors, files) is a 500 whose detail only the server log gets.
    public var apiError: APIError {
        switch self {
        case .invalidInput(let message):
            return .badRequest(message)
        case .documentNotFound:
            return .notFound(description)
        case .unavailable:
            return APIError(.serviceUnavailable, code: "store_unavailable",
                            "the knowledge base's database cannot be reached; try again later",
                            headers: [.retryAfter: "5"])
        default:
            return APIError(.internalServerError, code: "internal_error", "store error")
        }
    }
}
