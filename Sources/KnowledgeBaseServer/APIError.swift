import Foundation
import HTTPTypes
import Hummingbird
import KnowledgeBase

/// An error answered as `{"error":{"code":…,"message":…}}` with its status.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: Self.body(code, message))))
    }

    static func body(_ code: String, _ message: String) -> Data {
        struct Envelope: Encodable {
            struct Inner: Encodable { var code: String; var message: String }
            var error: Inner
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Envelope(error: .init(code: code, message: message)))) ?? Data()
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "invalid_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }

    /// A 500 that tells the client nothing of the server's internals (SQL, file paths, model paths), only the
    /// request id under which the detail is logged.
    static func internalError(requestID: String) -> APIError {
        APIError(.internalServerError, code: "internal_error",
                 "internal error; see the server log for request \(requestID)")
    }

    /// Maps library and framework errors to what a client should see: each library error type says so in its
    /// `APIErrorConvertible` conformance (ErrorMapping/); anything else, and every 500, is `internalError`.
    /// The caller logs the detail of a 5xx with the request id.
    static func from(_ error: any Error, requestID: String) -> APIError {
        let mapped: APIError
        switch error {
        case let error as APIError:
            mapped = error
        case let error as any APIErrorConvertible:
            mapped = error.apiError
        case let error as HTTPError:
            switch error.status {
            case .notFound: mapped = .notFound("no such route; see the HTTP API in the README")
            case .contentTooLarge:
                mapped = APIError(.contentTooLarge, code: "body_too_large",
                                  "the request body is larger than this server accepts")
            case let status where status.code >= 500: mapped = internalError(requestID: requestID)
            default: mapped = APIError(error.status, code: "http_error", error.body ?? error.status.reasonPhrase)
            }
        default:
            mapped = internalError(requestID: requestID)
        }
        return mapped.status == .internalServerError ? internalError(requestID: requestID) : mapped
    }
}
