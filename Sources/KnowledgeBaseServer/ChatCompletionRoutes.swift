import Foundation
import Hummingbird
import NIOCore
import KnowledgeBase

/// OpenAI's `GET /v1/models` and `POST /v1/chat/completions`, with errors in OpenAI's shape.
///
/// `kb:<model>` (and `kb` for the server's default chat model) answers from the runbooks exactly as `/v1/ask`
/// does; a plain model name passes the conversation to that Ollama model without the runbooks, so one base URL
/// serves both (chat front-ends use a plain model for titles and follow-up suggestions).
struct ChatCompletionRoutes: Sendable {
    let dependencies: ServerDependencies

    func register(on router: Router<KBRequestContext>) {
        let openAI = router.group().add(middleware: OpenAIErrorMiddleware(logger: dependencies.logger))
        openAI.get("/v1/models") { request, _ in try await models(request) }
        openAI.restrict("/v1/models", to: [.get, .head])
        openAI.post("/v1/chat/completions") { request, context in
            try await completions(request, requestID: context.requestID, channel: context.channel,
                                  outcome: context.outcome)
        }
        openAI.restrict("/v1/chat/completions", to: [.post])
    }

    struct ModelJSON: Encodable {
        var id: String
        var object = "model"
        var created: Int
        var owned_by: String
    }

    struct ModelList: Encodable {
        var object = "list"
        var data: [ModelJSON]
    }

    /// The grounded `kb:<model>` entries first, then the plain Ollama models, each in Ollama's order; only the
    /// models clients may name (`ChatModelPolicy`).
    func models(_ request: Request) async throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let configuration = dependencies.configuration
        let models = try await dependencies.chat.models().filter {
            configuration.chatModels.allows($0.name, defaultModel: configuration.chatModel)
        }
        let grounded = models.map {
            ModelJSON(id: ChatCompletionPlan.groundedPrefix + $0.name, created: $0.modified, owned_by: "kb")
        }
        let plain = models.map { ModelJSON(id: $0.name, created: $0.modified, owned_by: "ollama") }
        return try jsonResponse(ModelList(data: grounded + plain))
    }

    /// - Parameter channel: the client's connection; the answer stops (and Ollama's request with it) when it closes.
    /// - Parameter outcome: where a stream that fails after its 200 leaves the status its request is counted with.
    func completions(_ request: Request, requestID: String, channel: (any Channel)? = nil,
                     outcome: RequestOutcome? = nil) async throws -> Response {
        try dependencies.authenticator.requireRead(request)
        let body = try await JSONBody.decode(ChatCompletionRequest.self, from: request,
                                             limit: dependencies.configuration.maxChatBytes,
                                             fields: ChatCompletionRequest.fields)
        let plan = try body.plan(defaultModel: dependencies.configuration.chatModel)
        switch plan.mode {
        case .grounded(let model, _, _, _), .passthrough(let model, _):
            try dependencies.configuration.chatModels.check(model, defaultModel: dependencies.configuration.chatModel)
        }
        let started = ContinuousClock.now
        let prepared: PreparedAnswer?
        let events: AsyncThrowingStream<ChatEvent, any Error>
        let meter: AnswerMeter
        switch plan.mode {
        case .grounded(let model, let question, let history, let settings):
            let answer = try await GroundedAnswering(dependencies: dependencies)
                .prepare(question, history: history, settings: settings, field: "kb.")
            prepared = answer
            meter = AnswerMeter(route: "/v1/chat/completions", kind: .grounded, stream: plan.stream, started: started,
                                metrics: dependencies.metrics, outcome: outcome)
            events = dependencies.answerEngine(metered: meter).stream(answer, model: model, options: plan.options)
        case .passthrough(let model, let messages):
            prepared = nil
            meter = AnswerMeter(route: "/v1/chat/completions", kind: .passthrough, stream: plan.stream,
                                started: started, metrics: dependencies.metrics, outcome: outcome)
            events = MeteredChatClient(inner: dependencies.limitedChat, meter: meter)
                .chat(model: model, messages: messages, options: plan.options)
        }
        let response = ChatCompletionResponse(model: plan.model, prepared: prepared, started: started)
        let cursor = ChatEventCursor(events.endingWhenClosed(channel))
        do {
            // An unknown model or an unreachable Ollama fails here, as an HTTP error, before a 200 is sent.
            try await cursor.peek()
            guard plan.stream else {
                return try jsonResponse(try await ChatCompletionStream.collect(response, events: cursor, meter: meter))
            }
        } catch {
            meter.finish(error: error)
            throw error
        }
        let includeUsage = plan.includeUsage
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            try await ChatCompletionStream.write(response, events: cursor, includeUsage: includeUsage,
                                                                 requestID: requestID, logger: dependencies.logger,
                                                                 meter: meter, to: &writer)
                        })
    }
}
