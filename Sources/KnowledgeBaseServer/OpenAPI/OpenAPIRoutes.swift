import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 document of every route, open to all (it holds no data).
struct OpenAPIRoutes: Sendable {
    static let body = ByteBuffer(bytes: OpenAPIDocument.data)

    func register(on router: Router<KBRequestContext>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: Self.body))
        }
        router.restrict("/openapi.json", to: [.get, .head])
    }
}
