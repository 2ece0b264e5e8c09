import Foundation
import Hummingbird
import KnowledgeBase

/// `POST /v1/documents` (addDocument), `GET /v1/documents`, `GET|DELETE /v1/documents/{id}`.
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
        try Validate.path(body.path, field: "path")
        guard !body.path.hasPrefix("/") else { throw APIError.badRequest("field \"path\" must be relative (no leading /)") }
        let format: DocumentFormat
        switch body.format {
        case nil: format = DocumentFormat(fileName: body.path) ?? .markdown
        case "markdown": format = .markdown
        case "text": format = .text
        case let other?: throw APIError.badRequest("field \"format\" must be \"markdown\" or \"text\", not \"\(other)\"")
        }
        if let title = body.title, title.count > 500 { throw APIError.badRequest("field \"title\" is longer than 500 characters") }
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
        struct Added: Encodable { var id: Int64; var path: String; var status: String; var chunks: Int }
        return try jsonResponse(Added(id: added.id, path: body.path, status: added.status.rawValue, chunks: added.chunks),
                                status: added.status == .created ? .created : .ok)
    }

    func list(_ request: Request) throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let limit = try integer(request, "limit", default: 100, range: 1...1000)
        let offset = try integer(request, "offset", default: 0, range: 0...Int(Int32.max))
        let store = dependencies.catalog.store
        let documents = try store.documents(limit: limit, offset: offset)
        struct Page: Encodable { var documents: [DocumentJSON]; var total: Int; var limit: Int; var offset: Int }
        return try jsonResponse(Page(documents: documents.map(DocumentJSON.init), total: try store.stats().documents,
                                     limit: limit, offset: offset))
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
        struct Removed: Encodable { var id: Int64; var path: String; var status = "deleted" }
        return try jsonResponse(Removed(id: record.id, path: record.path))
    }

    private func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest("query parameter \"\(name)\" must be an integer in \(range.lowerBound)–\(range.upperBound)")
        }
        return number
    }
}
