import Foundation
import HTTPTypes
import Hummingbird
import KnowledgeBase
import KnowledgeBaseMCP
import MCP

/// `POST /mcp`: the MCP server over the streamable HTTP transport, stateless (no session id, JSON responses).
///
/// Each request gets a server of its own, so any replica behind a load balancer can answer any request and
/// concurrent clients never share JSON-RPC ids. Without sessions there is no server-to-client stream: `GET` and
/// `DELETE` answer 405, as the transport's specification allows. The read token is required like on every read
/// route; `Host` and `Origin` are checked for every route by `HostCheckMiddleware` (DNS rebinding, other sites).
struct MCPRoutes: Sendable {
    let dependencies: ServerDependencies

    func register(on router: Router<KBRequestContext>) {
        router.post("/mcp") { request, _ in try await handle(request) }
        router.restrict("/mcp", to: [.post])
    }

    var mcpServer: RunbookMCPServer {
        let answerEngine = dependencies.configuration.offersAskTool ? dependencies.answerEngine : nil
        return RunbookMCPServer(tools: RunbookTools(queryEngine: dependencies.queryEngine, answerEngine: answerEngine),
                                logger: dependencies.logger)
    }

    func handle(_ request: Request) async throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let limit = dependencies.configuration.maxQueryBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Self.tooLarge(limit) }
        var request = request
        let body = try await RequestBody.collect(&request, upTo: limit, tooLarge: Self.tooLarge(limit))
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
        let reply: MCP.HTTPResponse
        if Self.hasInvalidID(Data(buffer: body)) {
            // The SDK's transport reads a boolean id as the integer 1 and then waits forever for the answer the
            // server never sends (it cannot decode that id), so such a request is refused here.
            reply = .error(statusCode: 400, .invalidRequest("Invalid Request: \"id\" must be a string, an integer or null"))
        } else {
            let transport = StatelessHTTPServerTransport(validationPipeline: validationPipeline,
                                                         logger: dependencies.logger)
            let server = await mcpServer.makeServer()
            try await server.start(transport: transport)
            reply = await transport.handleRequest(MCP.HTTPRequest(method: "POST", headers: headers,
                                                                  body: Data(buffer: body), path: "/mcp"))
            await server.stop()
        }
        var fields = HTTPFields()
        for (name, value) in reply.headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return Response(status: HTTPResponse.Status(code: reply.statusCode), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(data: reply.bodyData ?? Data())))
    }

    /// Whether `body` is a JSON object whose `id` is there but neither a string, an integer nor null (JSON-RPC's
    /// Invalid Request), e.g. `true`, `1.5` or `[]`.
    static func hasInvalidID(_ body: Data) -> Bool {
        struct Probe: Decodable {
            var invalid = false
            enum Keys: String, CodingKey { case id }
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Keys.self)
                guard container.contains(.id), !(try container.decodeNil(forKey: .id)) else { return }
                invalid = (try? container.decode(MCP.ID.self, forKey: .id)) == nil
            }
        }
        return (try? JSONDecoder().decode(Probe.self, from: body))?.invalid ?? false
    }

    var validationPipeline: any HTTPRequestValidationPipeline {
        StandardValidationPipeline(validators: [
            AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
        ])
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the MCP message is larger than \(limit) bytes "
            + "(--max-query-bytes)")
    }
}
