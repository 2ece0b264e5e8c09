import Foundation
import Hummingbird
import HTTPTypes
import KnowledgeBase

/// `GET /` (the web page), `GET /app.css` and `GET /app.js`, and `HEAD` on each.
///
/// The page reads nothing itself: it calls the JSON API, which checks tokens as usual, so serving it needs none.
struct WebRoutes: Sendable {
    /// Everything from this server only; no inline script or style (so no event-handler attributes), no plugins,
    /// no `<base>`, no framing. Document text or model output that slipped into the page as markup could not run.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    /// One static file: its bytes, type and validator.
    struct Asset: Sendable {
        let body: ByteBuffer
        let contentType: String
        let etag: String

        init(_ text: String, contentType: String) {
            body = ByteBuffer(string: text)
            self.contentType = contentType
            etag = "\"\(SHA256.hex(text).prefix(32))\""
        }

        /// The file, or 304 when the client already holds this version. Browsers revalidate every time
        /// (`no-cache`), so a new kb binary serves its own page at once.
        func response(to request: Request) -> Response {
            var headers: HTTPFields = [
                .contentType: contentType,
                .cacheControl: "no-cache",
                .eTag: etag,
                .contentSecurityPolicy: WebRoutes.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
                WebRoutes.referrerPolicy: "no-referrer",
                WebRoutes.frameOptions: "DENY",
            ]
            if let presented = request.headers[.ifNoneMatch],
               presented.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentLength] = String(body.readableBytes)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    static let page = Asset(WebPage.html, contentType: "text/html; charset=utf-8")
    static let style = Asset(WebPage.css, contentType: "text/css; charset=utf-8")
    static let script = Asset(WebPage.javascript, contentType: "text/javascript; charset=utf-8")

    func register(on router: Router<KBRequestContext>) {
        for (path, asset) in [("/", Self.page), ("/app.css", Self.style), ("/app.js", Self.script)] {
            router.get(RouterPath(path)) { request, _ in asset.response(to: request) }
            // The same headers (Content-Length included) without the body.
            router.head(RouterPath(path)) { request, _ in asset.response(to: request).createHeadResponse() }
            router.restrict(RouterPath(path), to: [.get, .head])
        }
    }
}
