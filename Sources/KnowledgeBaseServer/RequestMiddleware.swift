import Foundation
import HTTPTypes
import Hummingbird
import KnowledgeBase
import Logging
import Synchronization

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
}

/// Gives every request an id, turns errors into JSON error responses, and logs and counts each request once.
///
/// Logs carry method, route, status, duration and request id; never bodies, document text or tokens.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = KBRequestContext
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.sanitisedID(request.headers[.requestID]) ?? Self.generateID()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError.from(error, requestID: context.requestID)
            if apiError.status.code >= 500 {
                // The client sees only the request id; the detail (SQL, paths) is here.
                logger.error("request failed", metadata: ["request.id": "\(context.requestID)", "error": "\(error)",
                                                          "error.code": "\(apiError.code)"])
            }
            response = try apiError.response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        let route = context.endpointPath ?? "unmatched", method = request.method.rawValue
        let requestID = context.requestID, outcome = context.outcome, responseStatus = response.status.code
        let count: @Sendable () -> Void = { [metrics, logger] in
            let seconds = AnswerMeter.seconds(started.duration(to: .now))
            // An answer that failed after its 200 counts as its failure's status (see `AnswerMeter`).
            let status = outcome.status ?? responseStatus
            metrics.recordRequest(route: route, method: method, status: status, seconds: seconds)
            logger.info("request", metadata: [
                "http.method": "\(method)", "http.route": "\(route)", "http.status": "\(status)",
                "duration_ms": "\(String(format: "%.2f", seconds * 1000))", "request.id": "\(requestID)",
            ])
        }
        guard response.body.contentLength == nil else {
            count()
            return response
        }
        // A streamed body: counted when it ends, not when the handler returns its head.
        let body = response.body
        response.body = ResponseBody { writer in
            let once = Once(count)
            do {
                try await body.write(RecordingBodyWriter(inner: writer, onEnd: once.run))
            } catch {
                once.run()
                throw error
            }
        }
        return response
    }

    /// A client's id is kept if it is short and printable, so it cannot forge log lines.
    static func sanitisedID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.count <= 128,
              value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else { return nil }
        return value
    }

    static func generateID() -> String {
        (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }
}

/// Runs a closure the first time it is asked to.
final class Once: Sendable {
    private let action: Mutex<(@Sendable () -> Void)?>

    init(_ action: @escaping @Sendable () -> Void) { self.action = Mutex(action) }

    func run() { action.withLock { action in defer { action = nil }; return action }?() }
}

/// Bearer-token checks (RFC 6750), compared in constant time.
///
/// No token where one is needed is 401 with `WWW-Authenticate: Bearer`; a token that is neither the read nor the
/// write token is 401 with `error="invalid_token"`; the read token presented for a write is 403 with
/// `error="insufficient_scope"`.
struct Authenticator: Sendable {
    let writeToken: String?
    let readToken: String?

    func requireWrite(_ request: Request) throws {
        guard let writeToken else { return }
        guard let presented = Self.bearer(request) else { throw Self.missing("changing documents") }
        if Self.constantTimeEqual(presented, writeToken) { return }
        if let readToken, Self.constantTimeEqual(presented, readToken) {
            throw APIError(.forbidden, code: "insufficient_scope",
                           "the read token cannot change documents; use the write token (KB_API_TOKEN)",
                           headers: [.wwwAuthenticate: #"Bearer error="insufficient_scope", scope="write""#])
        }
        throw Self.invalid("changing documents")
    }

    func requireRead(_ request: Request) throws {
        guard let readToken else { return }
        guard let presented = Self.bearer(request) else { throw Self.missing("reading") }
        // The write token may read too.
        if Self.constantTimeEqual(presented, readToken) { return }
        if let writeToken, Self.constantTimeEqual(presented, writeToken) { return }
        throw Self.invalid("reading")
    }

    static func missing(_ what: String) -> APIError {
        APIError(.unauthorized, code: "unauthorized", "\(what) needs Authorization: Bearer <token>",
                 headers: [.wwwAuthenticate: "Bearer"])
    }

    static func invalid(_ what: String) -> APIError {
        APIError(.unauthorized, code: "invalid_token",
                 "the bearer token is not valid for \(what); check KB_API_TOKEN / KB_READ_TOKEN of the server",
                 headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#])
    }

    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Compares the SHA-256 digests of both sides, every byte of them, so neither the time taken nor a length
    /// difference reveals how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hex(a).utf8), y = Array(SHA256.hex(b).utf8)
        // Both are 64 hex digits whatever the inputs.
        var difference: UInt8 = 0
        for index in 0..<min(x.count, y.count) { difference |= x[index] ^ y[index] }
        return difference == 0 && x.count == y.count
    }
}
