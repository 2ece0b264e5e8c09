import Foundation
import HTTPTypes
import Hummingbird
import Logging

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
            let apiError = APIError.from(error)
            if apiError.status.code >= 500 {
                logger.error("request failed", metadata: ["request.id": "\(context.requestID)", "error": "\(error)"])
            }
            response = try apiError.response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        logger.info("request", metadata: [
            "http.method": "\(request.method.rawValue)", "http.route": "\(route)",
            "http.status": "\(response.status.code)", "duration_ms": "\(String(format: "%.2f", seconds * 1000))",
            "request.id": "\(context.requestID)",
        ])
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

/// Bearer-token checks, compared in constant time.
struct Authenticator: Sendable {
    let writeToken: String?
    let readToken: String?

    func requireWrite(_ request: Request) throws {
        guard let writeToken else { return }
        try require(writeToken, request, what: "changing documents")
    }

    func requireRead(_ request: Request) throws {
        guard let readToken else { return }
        // The write token may read too.
        if let writeToken, let presented = Self.bearer(request), Self.constantTimeEqual(presented, writeToken) { return }
        try require(readToken, request, what: "reading")
    }

    private func require(_ token: String, _ request: Request, what: String) throws {
        guard let presented = Self.bearer(request) else {
            throw APIError(.unauthorized, code: "unauthorized", "\(what) needs Authorization: Bearer <token>",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        guard Self.constantTimeEqual(presented, token) else {
            throw APIError(.forbidden, code: "forbidden", "the bearer token is not valid for \(what)")
        }
    }

    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Compares every byte whatever the contents, so timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
