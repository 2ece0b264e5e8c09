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

    /// What a failure of the chat model means to the client: a model Ollama lacks is the client's mistake (404),
    /// Ollama down is 503, Ollama refusing the request 400, anything else from it 502.
    static func chat(_ error: ChatError) -> APIError {
        switch error {
        case .modelNotFound:
            return APIError(.notFound, code: "model_not_found", error.description)
        case .unreachable:
            return APIError(.serviceUnavailable, code: "upstream_unavailable", error.description,
                            headers: [.retryAfter: "10"])
        case .http(let status, _) where (400..<500).contains(status) && status != 429:
            // Ollama refused the request itself, e.g. "all-minilm does not support chat".
            return APIError(.badRequest, code: "upstream_rejected", error.description)
        case .unsupported:
            return APIError(.notImplemented, code: "unsupported", error.description)
        default:
            return APIError(.badGateway, code: "upstream_error", error.description)
        }
    }

    /// Maps library and framework errors to what a client should see.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as QueryError:
            switch error {
            case .emptyKnowledgeBase: return APIError(.conflict, code: "empty_knowledge_base", error.description)
            case .embedderMismatch: return APIError(.conflict, code: "embedder_mismatch", error.description)
            case .invalidQuestion: return .badRequest(error.description)
            case .indexChanged:
                return APIError(.serviceUnavailable, code: "index_changed", error.description, headers: [.retryAfter: "1"])
            }
        case let error as EmbeddingError where error.isFatal:
            return APIError(.serviceUnavailable, code: "embedder_unavailable", error.description,
                            headers: [.retryAfter: "10"])
        case let error as EmbeddingError:
            if case .input = error { return APIError(.unprocessableContent, code: "embedding_rejected", error.description) }
            return APIError(.badGateway, code: "embedder_error", error.description)
        case let error as ChatError:
            return chat(error)
        case let error as BlockingPoolError:
            return error.apiError
        case let error as StoreError:
            if case .invalidInput(let message) = error { return .badRequest(message) }
            return APIError(.internalServerError, code: "store_error", error.description)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("no such route; see the HTTP API in the README")
            case .contentTooLarge:
                return APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than this server accepts")
            default: return APIError(error.status, code: "http_error", error.body ?? error.status.reasonPhrase)
            }
        default:
            return APIError(.internalServerError, code: "internal_error", "\(error)")
        }
    }
}
