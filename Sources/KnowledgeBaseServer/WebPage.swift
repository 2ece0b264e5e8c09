// The web page of `kb serve`: Web/index.html, Web/app.css and Web/app.js, embedded in the binary at build time
// (SwiftPM's `.embedInCode` makes each a `PackageResources` byte array), so a copied binary needs no files on disk.
//
// No build step and no network: the page loads nothing but /app.css and /app.js from this server (no CDN, no web
// fonts), so it works offline and under a strict Content-Security-Policy (no inline script or style, no event-handler
// attributes). Document text and model output are untrusted: the script inserts them only as text nodes, and makes
// links only for http(s) URLs and for relative links to stored runbooks.

/// The page's three files.
enum WebPage {
    /// `GET /`.
    static let html = String(decoding: PackageResources.index_html, as: UTF8.self)
    /// `GET /app.css`.
    static let css = String(decoding: PackageResources.app_css, as: UTF8.self)
    /// `GET /app.js`.
    static let javascript = String(decoding: PackageResources.app_js, as: UTF8.self)
}
