import Foundation
import HTTPTypes
import Hummingbird
import KnowledgeBase
import Logging

/// An error in OpenAI's shape, `{"error":{"message","type","param","code"}}`, as the `/v1/models` and
/// `/v1/chat/completions` routes answer them; OpenAI's SDKs raise it as `APIStatusError` by status.
struct OpenAIError: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// `invalid_request_error` (4xx), `authentication_error` (401), `permission_error` (403), `server_error` (5xx).
    var type: String
    var param: String?
    var code: String?
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, param: String? = nil, code: String? = nil,
         headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.type = Self.type(of: status)
        self.param = param
        self.code = code
        self.headers = headers
    }

    static func badRequest(_ message: String, param: String?, code: String = "invalid_request") -> OpenAIError {
        OpenAIError(.badRequest, message, param: param, code: code)
    }

    static func type(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: return "authentication_error"
        case 403: return "permission_error"
        case 429: return "rate_limit_error"
        case 500...: return "server_error"
        default: return "invalid_request_error"
        }
    }

    /// Any error a route throws, in OpenAI's shape: kb's own errors keep their status, code and message.
    /// A 500 says only the request id (`APIError.internalError`); the caller logs the detail.
    static func from(_ error: any Error, requestID: String) -> OpenAIError {
        if let error = error as? OpenAIError {
            guard error.status == .internalServerError else { return error }
            return from(APIError.internalError(requestID: requestID), requestID: requestID)
        }
        let api = APIError.from(error, requestID: requestID)
        var message = api.message
        var param: String?
        switch api.code {
        case "model_not_found":
            message += " GET /v1/models lists the models there are."
            param = "model"
        case "upstream_rejected":
            param = "model"
        default:
            break
        }
        return OpenAIError(api.status, message, param: param, code: api.code, headers: api.headers)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    /// The error object, also sent as the last event of a stream that fails after it started.
    var body: Data {
        struct Envelope: Encodable { var error: OpenAIError }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Envelope(error: self))) ?? Data()
    }
}

extension OpenAIError: Encodable {
    enum CodingKeys: String, CodingKey { case message, type, param, code }

    // `param` and `code` are always present, null when there is none, as OpenAI sends them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(message, forKey: .message)
        try container.encode(type, forKey: .type)
        try container.encode(param, forKey: .param)
        try container.encode(code, forKey: .code)
    }
}

/// Answers every error of the routes behind it in OpenAI's shape (the outer `RequestMiddleware` still logs and
/// counts them).
struct OpenAIErrorMiddleware: RouterMiddleware {
    typealias Context = KBRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            let openAIError = OpenAIError.from(error, requestID: context.requestID)
            if openAIError.status.code >= 500 {
                logger.error("request failed", metadata: ["request.id": "\(context.requestID)",
                                                                  "error": "\(error)"])
            }
            return try openAIError.response(from: request, context: context)
        }
    }
}
