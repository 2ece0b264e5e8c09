import Foundation
import Hummingbird
import NIOCore
import KnowledgeBase

/// `POST /v1/query` and `POST /v1/ask`.
struct QueryRoutes: Sendable {
    let dependencies: ServerDependencies

    struct QueryRequest: Decodable {
        var question: String
        var k: Int?
        var min_score: Double?
        var path_prefix: String?
        var mode: SearchMode?
        var fusion: FusionMethod?
        var refusal: RefusalPolicy?
        var `where`: [String: JSONValue]?
    }

    struct AskRequest: Decodable {
        var question: String
        var k: Int?
        var model: String?
        var stream: Bool?
        var history: [ChatMessage]?
        var template: String?
        var mode: SearchMode?
        var fusion: FusionMethod?
        var refusal: RefusalPolicy?
        var `where`: [String: JSONValue]?
        var agent: Bool?
    }

    func register(on router: Router<KBRequestContext>) {
        router.post("/v1/query") { request, _ in try await query(request) }
        router.restrict("/v1/query", to: [.post])
        router.post("/v1/ask") { request, context in
            try await ask(request, requestID: context.requestID, channel: context.channel, outcome: context.outcome)
        }
        router.restrict("/v1/ask", to: [.post])
    }

    func query(_ request: Request) async throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let body = try await JSONBody.decode(QueryRequest.self, from: request, limit: dependencies.configuration.maxQueryBytes,
                                             fields: ["question", "k", "min_score", "path_prefix", "mode", "fusion",
                                                      "refusal", "where"])
        try Validate.question(body.question)
        let k = try Validate.k(body.k)
        if let minScore = body.min_score, !(-1...1).contains(minScore) {
            throw APIError.badRequest("field \"min_score\" must be between -1 and 1")
        }
        if let prefix = body.path_prefix { try Validate.path(prefix, field: "path_prefix", allowEmpty: true) }
        var options = QueryOptions(k: k, minScore: body.min_score.map(Float.init), pathPrefix: body.path_prefix,
                                   mode: body.mode ?? .hybrid, fusion: body.fusion ?? .rrf,
                                   refusal: body.refusal ?? .rule)
        options.filters = try Validate.filters(body.where)
        let result = try await dependencies.queryEngine.query(body.question, options: options)
        dependencies.metrics.recordQuery(embedSeconds: result.timings.embed / 1000, searchSeconds: result.timings.search / 1000)
        return try jsonResponse(result)
    }

    /// - Parameter channel: the client's connection; the answer stops (and Ollama's request with it) when it closes.
    /// - Parameter outcome: where a stream that fails after its 200 leaves the status its request is counted with.
    func ask(_ request: Request, requestID: String, channel: (any Channel)? = nil,
             outcome: RequestOutcome? = nil) async throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let body = try await JSONBody.decode(AskRequest.self, from: request, limit: dependencies.configuration.maxQueryBytes,
                                             fields: ["question", "k", "model", "stream", "history", "template", "mode",
                                                      "fusion", "refusal", "where", "agent"])
        try Validate.question(body.question)
        if let model = body.model, model.isEmpty || model.unicodeScalars.count > 200 {
            throw APIError.badRequest("field \"model\" must be a model name of 1–200 characters")
        }
        if let model = body.model {
            try dependencies.configuration.chatModels.check(model, defaultModel: dependencies.configuration.chatModel)
        }
        let history = body.history ?? []
        guard history.count <= 50 else { throw APIError.badRequest("field \"history\" holds at most 50 messages") }
        for (index, message) in history.enumerated() where !["user", "assistant"].contains(message.role) {
            throw APIError.badRequest("field \"history[\(index)].role\" must be \"user\" or \"assistant\"")
        }
        let started = ContinuousClock.now
        let settings = RetrievalSettings(k: body.k, template: body.template, mode: body.mode, fusion: body.fusion,
                                         refusal: body.refusal, where: body.where)
        // Retrieval errors (empty knowledge base, embedder down) become a plain error response, before streaming.
        let answering = GroundedAnswering(dependencies: dependencies)
        let stream = body.stream ?? true
        if body.agent == true {
            let options = try answering.options(settings)
            let meter = AnswerMeter(route: "/v1/ask", kind: .agent, stream: stream, started: started,
                                    metrics: dependencies.metrics, outcome: outcome)
            return try await agentAnswer(body, options: options, history: history, meter: meter,
                                         requestID: requestID, channel: channel)
        }
        let prepared = try await answering.prepare(body.question, history: history, settings: settings)
        // Counted from here: the question was valid and its sources found (failures before are only requests).
        let meter = AnswerMeter(route: "/v1/ask", kind: .grounded, stream: stream, started: started,
                                metrics: dependencies.metrics, outcome: outcome)
        do {
            let engine = dependencies.answerEngine(metered: meter)
            let events = ChatEventCursor(engine.stream(prepared, model: body.model).endingWhenClosed(channel))
            // An unknown model or an unreachable Ollama fails here, with its HTTP status, before a 200 is sent.
            try await events.peek()
            if stream {
                return Response(status: .ok, headers: [.contentType: "application/x-ndjson"],
                                body: ResponseBody { writer in
                                    try await AnswerStream.write(prepared, events: events, requestID: requestID,
                                                                 logger: dependencies.logger, meter: meter,
                                                                 to: &writer)
                                })
            }
            return try jsonResponse(try await AnswerStream.collect(prepared, events: events, meter: meter))
        } catch {
            meter.finish(error: error)
            throw error
        }
    }
}

extension QueryRoutes {
    /// `/v1/ask` with `"agent": true`: the chat model calls the runbook tools itself before it answers.
    func agentAnswer(_ body: AskRequest, options: QueryOptions, history: [ChatMessage], meter: AnswerMeter,
                     requestID: String, channel: (any Channel)?) async throws -> Response {
        if let template = body.template, template != "answer" {
            throw APIError.badRequest("field \"template\" cannot be used with \"agent\": the agent has its own "
                + "instructions")
        }
        let agent = RunbookAgent(answerEngine: dependencies.answerEngine(metered: meter),
                                 chat: dependencies.limitedToolChat(metered: meter), model: body.model,
                                 options: options)
        let question = body.question.trimmingCharacters(in: .whitespacesAndNewlines)
        let events = agent.run(question, history: history).endingWhenClosed(channel)
        if meter.stream {
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"],
                            body: ResponseBody { writer in
                                try await AgentAnswerStream.write(events, question: question, mode: options.mode,
                                                                  meter: meter, requestID: requestID,
                                                                  logger: dependencies.logger, to: &writer)
                            })
        }
        return try jsonResponse(try await AgentAnswerStream.collect(events, question: question, mode: options.mode,
                                                                     meter: meter))
    }
}

/// Range and shape checks shared by the routes.
enum Validate {
    /// `"where": {"service": "postgres", "severity": 2}`: metadata filters (scalars only; a list value matches when
    /// it contains the given one).
    static func filters(_ value: [String: JSONValue]?, field: String = "where") throws -> [MetadataFilter] {
        guard let value else { return [] }
        guard value.count <= 16 else { throw APIError.badRequest("field \"\(field)\" holds at most 16 conditions") }
        return try value.sorted { $0.key < $1.key }.map { key, wanted in
            guard !key.isEmpty, key.unicodeScalars.count <= 200 else {
                throw APIError.badRequest("field \"\(field)\" has an empty or overlong key")
            }
            switch wanted {
            case .string(let text): return MetadataFilter(key: key, value: text)
            case .bool(let flag): return MetadataFilter(key: key, value: flag ? "true" : "false")
            case .number(let number):
                let text = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                return MetadataFilter(key: key, value: text)
            default:
                throw APIError.badRequest("field \"\(field).\(key)\" must be a string, number or boolean")
            }
        }
    }

    static func question(_ question: String, field: String = "question") throws {
        let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, question.unicodeScalars.count <= 4000 else {
            throw APIError.badRequest("field \"\(field)\" must hold 1–4000 characters")
        }
    }

    static func k(_ k: Int?, field: String = "k") throws -> Int {
        let value = k ?? 5
        guard (1...100).contains(value) else { throw APIError.badRequest("field \"\(field)\" must be between 1 and 100") }
        return value
    }

    static func path(_ path: String, field: String, allowEmpty: Bool = false) throws {
        guard allowEmpty || !path.isEmpty else { throw APIError.badRequest("field \"\(field)\" must not be empty") }
        guard path.unicodeScalars.count <= 1024 else { throw APIError.badRequest("field \"\(field)\" is longer than 1024 characters") }
        guard !path.contains("\0") else { throw APIError.badRequest("field \"\(field)\" must not contain NUL") }
        if let problem = DocumentPath.problem(path) { throw APIError.badRequest("field \"\(field)\": \(problem)") }
        guard !path.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
            throw APIError.badRequest("field \"\(field)\" must not contain \"..\"")
        }
    }
}
