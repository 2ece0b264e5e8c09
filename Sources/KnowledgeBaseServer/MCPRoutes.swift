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

    /// - Parameter meter: measures the answer of an `ask_runbooks` call.
    func mcpServer(meter: AnswerMeter? = nil) -> RunbookMCPServer {
        let engine = meter.map { dependencies.answerEngine(metered: $0) } ?? dependencies.answerEngine
        let answerEngine = dependencies.configuration.offersAskTool ? engine : nil
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
            // An ask_runbooks call is an answer like /v1/ask's (not streamed), measured the same way. A tool error is
            // still HTTP 200 (a JSON-RPC result), so the request keeps its status: `outcome` is not passed.
            let meter = Self.callsAskTool(Data(buffer: body)) && dependencies.configuration.offersAskTool
                ? AnswerMeter(route: "/mcp", kind: .grounded, stream: false, metrics: dependencies.metrics, outcome: nil)
                : nil
            let server = await mcpServer(meter: meter).makeServer()
            try await server.start(transport: transport)
            reply = await transport.handleRequest(MCP.HTTPRequest(method: "POST", headers: headers,
                                                                  body: Data(buffer: body), path: "/mcp"))
            await server.stop()
            if let meter {
                let (isError, refused) = Self.toolResult(reply.bodyData ?? Data())
                meter.finish(refused: refused, error: isError ? meter.chatFailure ?? MCPToolError() : nil)
            }
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

    /// Whether `body` is one JSON-RPC request calling `ask_runbooks`.
    static func callsAskTool(_ body: Data) -> Bool {
        struct Probe: Decodable {
            struct Params: Decodable { var name: String? }
            var method: String?
            var params: Params?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: body) else { return false }
        return probe.method == "tools/call" && probe.params?.name == RunbookTools.askToolName
    }

    /// Whether a `tools/call` reply is a tool error, and whether its answer was a refusal.
    static func toolResult(_ reply: Data) -> (isError: Bool, refused: Bool) {
        struct Probe: Decodable {
            struct Result: Decodable {
                struct Structured: Decodable { var refused: Bool? }
                var isError: Bool?
                var structuredContent: Structured?
            }
            var result: Result?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: reply), let result = probe.result else {
            return (true, false)
        }
        return (result.isError ?? false, result.structuredContent?.refused ?? false)
    }

    var validationPipeline: any HTTPRequestValidationPipeline {
        StandardValidationPipeline(validators: [
            AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
        ])
    }

    /// An `ask_runbooks` call answered with a tool error that no chat failure explains.
    struct MCPToolError: Error {}

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", "the MCP message is larger than \(limit) bytes "
            + "(--max-query-bytes)")
    }
}
