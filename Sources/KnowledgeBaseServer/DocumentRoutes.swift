import Foundation
import Hummingbird
import KnowledgeBase

/// `POST /v1/documents` (addDocument), `GET /v1/documents`, `GET|DELETE /v1/documents/{id}`, and
/// `GET|PUT|DELETE /v1/documents/by-path/{path}` (or `/v1/documents/by-path?path=…`).
struct DocumentRoutes: Sendable {
    let dependencies: ServerDependencies
    // Document writes run one at a time; queries are never blocked by them except during a commit.
    let writes = AsyncLock()

    init(dependencies: ServerDependencies) {
        self.dependencies = dependencies
    }

    struct AddRequest: Decodable {
        var path: String
        var content: String
        var title: String?
        var format: String?
        var metadata: JSONValue?
    }

    struct DocumentJSON: Encodable {
        var id: Int64
        var source: String
        var path: String
        var title: String
        var format: String
        var sha256: String
        var size: Int
        var chunks: Int
        var metadata: JSONValue
        var created_at: String
        var updated_at: String

        init(_ record: DocumentRecord) {
            id = record.id
            source = record.source
            path = record.path
            title = record.title
            format = record.format.rawValue
            sha256 = record.sha256
            size = record.size
            chunks = record.chunkCount
            metadata = JSONValue.parse(record.metadata)
            created_at = record.createdAt
            updated_at = record.updatedAt
        }
    }

    struct ChunkJSON: Encodable {
        var id: Int64
        var ordinal: Int
        var heading: String
        var text: String
        var lines: [Int]
        var tokens: Int
    }

    func register(on router: Router<KBRequestContext>) {
        router.post("/v1/documents") { request, _ in try await add(request) }
        router.get("/v1/documents") { request, _ in try list(request) }
        router.restrict("/v1/documents", to: [.get, .head, .post])
        router.get("/v1/documents/{id}") { request, context in try show(request, id: try id(context)) }
        router.delete("/v1/documents/{id}") { request, context in try await remove(request, id: try id(context)) }
        router.restrict("/v1/documents/{id}", to: [.get, .head, .delete])
        for route in ["/v1/documents/by-path", "/v1/documents/by-path/**"] {
            router.get(RouterPath(route)) { request, context in
                let record = try find(request, path: try documentPath(request, context))
                return try show(request, id: record.id)
            }
            router.delete(RouterPath(route)) { request, context in
                try dependencies.authenticator.requireWrite(request)
                return try await remove(request, id: try find(request, path: try documentPath(request, context)).id)
            }
            router.put(RouterPath(route)) { request, context in
                try await put(request, path: try documentPath(request, context))
            }
            router.restrict(RouterPath(route), to: [.get, .head, .put, .delete])
        }
    }

    /// The document path of a by-path route: the rest of the URL after `by-path/`, or the `path` query parameter.
    private func documentPath(_ request: Request, _ context: KBRequestContext) throws -> String {
        let fromURL = context.parameters.getCatchAll().joined(separator: "/")
        // The query string comes decoded already; the path segments are decoded here.
        let path = fromURL.isEmpty ? request.uri.queryParameters.get("path").map { String($0) }
            : fromURL.removingPercentEncoding
        guard let path, !path.isEmpty else {
            throw APIError.badRequest("give the document's path after /v1/documents/by-path/ or as ?path= "
                + "(percent-encoded)")
        }
        return path
    }

    /// The document at `path` in the `source` query parameter's source, or in the one source holding that path.
    private func find(_ request: Request, path: String) throws -> DocumentRecord {
        try dependencies.authenticator.requireRead(request)
        let store = dependencies.catalog.store
        if let source = request.uri.queryParameters.get("source") {
            guard let record = try store.document(path: path, source: source) else {
                throw APIError.notFound("no document \(path) in source \(source)")
            }
            return record
        }
        let records = try store.documents(path: path)
        guard let record = records.first else { throw APIError.notFound("no document with path \(path)") }
        guard records.count == 1 else {
            throw APIError(.conflict, code: "ambiguous_path", "\(path) is in several sources ("
                + records.map(\.source).joined(separator: ", ") + "); add ?source=NAME")
        }
        return record
    }

    struct PutRequest: Decodable {
        var content: String
        var title: String?
        var format: String?
        var metadata: JSONValue?
    }

    /// Creates or replaces the document at `path` in the `api` source; sending the same content again changes nothing.
    func put(_ request: Request, path: String) async throws -> Response {
        try dependencies.authenticator.requireWrite(request)
        let body = try await JSONBody.decode(PutRequest.self, from: request,
                                             limit: dependencies.configuration.maxDocumentBytes,
                                             fields: ["content", "title", "format", "metadata"])
        return try await store(AddRequest(path: path, content: body.content, title: body.title, format: body.format,
                                          metadata: body.metadata))
    }

    private func id(_ context: KBRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("document ids are positive integers; GET /v1/documents lists them")
        }
        return id
    }

    func add(_ request: Request) async throws -> Response {
        try dependencies.authenticator.requireWrite(request)
        let body = try await JSONBody.decode(AddRequest.self, from: request,
                                             limit: dependencies.configuration.maxDocumentBytes,
                                             fields: ["path", "content", "title", "format", "metadata"])
        return try await store(body)
    }

    private func store(_ body: AddRequest) async throws -> Response {
        try Validate.path(body.path, field: "path")
        guard !body.path.hasPrefix("/") else { throw APIError.badRequest("field \"path\" must be relative (no leading /)") }
        let format: DocumentFormat
        switch body.format {
        case nil: format = DocumentFormat(fileName: body.path) ?? .markdown
        case "markdown": format = .markdown
        case "text": format = .text
        case let other?: throw APIError.badRequest("field \"format\" must be \"markdown\" or \"text\", not \"\(other)\"")
        }
        if let title = body.title, title.unicodeScalars.count > 500 { throw APIError.badRequest("field \"title\" is longer than 500 characters") }
        var metadata = "{}"
        if let value = body.metadata {
            guard case .object = value else { throw APIError.badRequest("field \"metadata\" must be a JSON object") }
            metadata = value.text
        }
        let ingester = dependencies.ingester
        let storedMetadata = metadata
        let added = try await writes.run {
            try await ingester.add(path: body.path, content: body.content, format: format, title: body.title,
                                   metadata: storedMetadata)
        }
        dependencies.metrics.recordDocument(status: added.status.rawValue)
        struct Added: Encodable { var id: Int64; var source: String; var path: String; var status: String; var chunks: Int }
        return try jsonResponse(Added(id: added.id, source: DocumentSource.api, path: body.path,
                                      status: added.status.rawValue, chunks: added.chunks),
                                status: added.status == .created ? .created : .ok)
    }

    func list(_ request: Request) throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let limit = try integer(request, "limit", default: 100, range: 1...1000)
        let offset = try integer(request, "offset", default: 0, range: 0...Int(Int32.max))
        let source: String? = request.uri.queryParameters.get("source").map { String($0) }
        let store = dependencies.catalog.store
        let documents = try store.documents(limit: limit, offset: offset, source: source)
        struct Page: Encodable {
            var documents: [DocumentJSON]
            var total: Int
            var limit: Int
            var offset: Int
            var source: String?
        }
        return try jsonResponse(Page(documents: documents.map(DocumentJSON.init),
                                     total: try store.documentCount(source: source), limit: limit, offset: offset,
                                     source: source))
    }

    func show(_ request: Request, id: Int64) throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let store = dependencies.catalog.store
        guard let record = try store.document(id: id) else { throw APIError.notFound("no document with id \(id)") }
        let chunks = try store.chunks(documentID: id).map {
            ChunkJSON(id: $0.id, ordinal: $0.ordinal, heading: $0.heading, text: $0.text,
                      lines: [$0.firstLine, $0.lastLine], tokens: $0.tokens)
        }
        struct Shown: Encodable { var document: DocumentJSON; var chunks: [ChunkJSON] }
        return try jsonResponse(Shown(document: DocumentJSON(record), chunks: chunks))
    }

    func remove(_ request: Request, id: Int64) async throws -> Response {
        try dependencies.authenticator.requireWrite(request)
        let catalog = dependencies.catalog
        let record = try await writes.run { () -> DocumentRecord? in
            guard let record = try catalog.store.document(id: id) else { return nil }
            try catalog.remove(documentID: id)
            return record
        }
        guard let record else { throw APIError.notFound("no document with id \(id)") }
        dependencies.metrics.recordDocument(status: "deleted")
        struct Removed: Encodable { var id: Int64; var source: String; var path: String; var status = "deleted" }
        return try jsonResponse(Removed(id: record.id, source: record.source, path: record.path))
    }

    private func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("query parameter \"\(name)\" must be an integer in \(range.lowerBound)–\(range.upperBound)")
        }
        return number
    }
}
