import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

struct WebRouteTests {
    static let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    func expectSecurityHeaders(_ response: TestResponse) {
        #expect(response.headers[.contentSecurityPolicy] == Self.csp)
        #expect(response.headers[.xContentTypeOptions] == "nosniff")
        #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
        #expect(response.headers[.cacheControl] == "no-cache")
    }

    @Test func servesThePageItsStyleAndItsScriptWithAStrictPolicy() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let page = try await client.send(.get, "/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            expectSecurityHeaders(page)
            #expect(page.headers[.contentLength] == String(page.body.readableBytes))
            #expect(page.text.hasPrefix("<!doctype html>"))
            #expect(page.text.contains(#"<script src="/app.js" defer></script>"#))
            #expect(page.text.contains(#"<link rel="stylesheet" href="/app.css">"#))

            let style = try await client.send(.get, "/app.css")
            #expect(style.status == .ok && style.headers[.contentType] == "text/css; charset=utf-8")
            expectSecurityHeaders(style)
            let script = try await client.send(.get, "/app.js")
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
            expectSecurityHeaders(script)
            #expect(script.text.contains("fetch('/v1/ask'"))
        }
    }

    @Test func theServedFilesAreTheOnesInTheWebFolder() throws {
        // Embedded at build time (.embedInCode): what the binary serves is byte for byte what is in the repository.
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/KnowledgeBaseServer/Web")
        for (name, text) in [("index.html", WebPage.html), ("app.css", WebPage.css), ("app.js", WebPage.javascript)] {
            let file = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(file == text, "Web/\(name) differs from the embedded copy")
            #expect(!text.isEmpty)
        }
    }

    @Test func thePageHasNoInlineScriptStyleHandlersOrRemoteSources() {
        let html = WebPage.html
        // The only script element is the external one; no inline <style>, no style="…", no onclick="…".
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(!html.contains("<style"))
        #expect(html.range(of: #"\sstyle\s*="#, options: .regularExpression) == nil)
        #expect(html.range(of: #"\son[a-z]+\s*="#, options: [.regularExpression, .caseInsensitive]) == nil)
        #expect(!html.lowercased().contains("javascript:"))
        #expect(!WebPage.css.contains("url("))
        // Nothing from another host: the page works offline.
        for text in [html, WebPage.css, WebPage.javascript] {
            #expect(text.range(of: #"(src|href)\s*=\s*["']?(https?:)?//"#, options: .regularExpression) == nil)
            #expect(!text.contains("@import") && !text.contains("@font-face"))
        }
    }

    @Test func theScriptNeverParsesUntrustedTextAsMarkup() {
        let script = WebPage.javascript
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                     "setTimeout('", "createContextualFragment", "DOMParser"] {
            #expect(!script.contains(sink), "app.js uses \(sink)")
        }
        // Links are made only for http(s) URLs.
        #expect(script.contains("url.protocol === 'http:' || url.protocol === 'https:'"))
    }

    @Test func headAnswersWithTheHeadersAndNoBody() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let get = try await client.send(.get, "/")
            let head = try await client.send(.head, "/")
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == "text/html; charset=utf-8")
            #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            expectSecurityHeaders(head)
            let script = try await client.send(.head, "/app.js")
            #expect(script.status == .ok && script.headers[.contentType] == "text/javascript; charset=utf-8")
        }
    }

    @Test func aMatchingETagGetsNotModified() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let first = try await client.send(.get, "/app.js")
            let etag = try #require(first.headers[.eTag])
            let again = try await client.send(.get, "/app.js", headers: [.ifNoneMatch: "\"other\", \(etag)"])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let stale = try await client.send(.get, "/app.js", headers: [.ifNoneMatch: "\"stale\""])
            #expect(stale.status == .ok && stale.body.readableBytes > 0)
        }
    }

    @Test func otherMethodsAndUnknownPathsAreJSONErrors() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let post = try await client.send(.post, "/", json: "{}")
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD")
            #expect(post.errorCode == "method_not_allowed")
            let missing = try await client.send(.get, "/index.php")
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
        }
    }

    @Test func thePageLoadsWithoutATokenWhileTheAPIStillAsksForOne() async throws {
        let server = try await TestServer(configuration: ServerConfiguration(apiToken: "write", readToken: "read"))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let page = try await client.send(.get, "/")
            let script = try await client.send(.get, "/app.js")
            let documents = try await client.send(.get, "/v1/documents")
            #expect(page.status == .ok && script.status == .ok)
            #expect(documents.status == .unauthorized)
        }
    }

    @Test func requestsForThePageAreCountedAndGetARequestID() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let page = try await client.send(.get, "/", headers: [.requestID: "page-load-1"])
            #expect(page.headers[.requestID] == "page-load-1")
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.text.contains(#"kb_http_requests_total{route="/",method="GET",status="200"} 1"#))
        }
    }
}
