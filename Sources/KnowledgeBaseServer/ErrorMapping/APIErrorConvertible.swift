import HTTPTypes
import Hummingbird
import Logging

/// A library error that knows what a client should see of it: the status, a stable code and a message without
/// internals. Each library error type conforms in a file of its own here, so the core never imports Hummingbird.
///
/// A conformance may map to 500; `APIError.from` then replaces the message with the generic one naming the
/// request id, and the caller logs the detail.
public protocol APIErrorConvertible: HTTPResponseError {
    var apiError: APIError { get }
}

extension APIErrorConvertible {
    public var status: HTTPResponse.Status { apiError.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let requestID = (context as? KBRequestContext)?.requestID ?? ""
        return try APIError.from(self, requestID: requestID).response(from: request, context: context)
    }
}

extension APIError {
    /// The error a stream sends as its last line when it fails after the 200 went out; a 5xx is logged here with
    /// the request id (the client sees only the id), as `RequestMiddleware` does for errors before the stream.
    static func streamFailure(_ error: any Error, requestID: String, logger: Logger) -> APIError {
        let mapped = from(error, requestID: requestID)
        if mapped.status.code >= 500 {
            logger.error("stream failed", metadata: ["request.id": "\(requestID)", "error": "\(error)",
                                                     "error.code": "\(mapped.code)"])
        }
        return mapped
    }
}
