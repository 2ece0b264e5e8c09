import Foundation
import KnowledgeBase

/// What one chat completion returns, in OpenAI's `chat.completion` and `chat.completion.chunk` shapes, with kb's
/// extension fields: `sources` on the message (and on the final chunk's delta) and a top-level `kb` object.
struct ChatCompletionResponse: Sendable {
    var id: String
    var created: Int
    var model: String
    /// The retrieval behind a grounded answer; nil for a passthrough one.
    var prepared: PreparedAnswer?
    var started: ContinuousClock.Instant

    init(model: String, prepared: PreparedAnswer?, started: ContinuousClock.Instant) {
        id = "chatcmpl-" + RequestMiddleware.generateID()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
        self.prepared = prepared
        self.started = started
    }

    /// `kb`: whether the answer is grounded, refused, which citations were invalid, and timings.
    struct Info: Encodable, Sendable {
        var grounded: Bool
        var refused: Bool?
        var invalid_citations: [Int]?
        var timings_ms: [String: Double]?
    }

    struct Usage: Encodable, Sendable {
        var prompt_tokens: Int
        var completion_tokens: Int
        var total_tokens: Int

        init(_ stats: ChatStats?) {
            prompt_tokens = stats?.promptEvalCount ?? 0
            completion_tokens = stats?.evalCount ?? 0
            total_tokens = prompt_tokens + completion_tokens
        }
    }

    /// A message or a delta; nil fields are left out.
    struct Message: Encodable, Sendable {
        var role: String?
        var content: String?
        var sources: [AnswerStream.Source]?
    }

    struct Choice: Encodable, Sendable {
        var message: Message
        var finishReason: String?
        var isDelta: Bool

        enum CodingKeys: String, CodingKey { case index, message, delta, logprobs, finish_reason }

        // `finish_reason` and `logprobs` are always present, null until the end, as OpenAI sends them.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(0, forKey: .index)
            try container.encode(message, forKey: isDelta ? .delta : .message)
            try container.encodeNil(forKey: .logprobs)
            try container.encode(finishReason, forKey: .finish_reason)
        }
    }

    struct Body: Encodable, Sendable {
        var id: String
        var object: String
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?
        var kb: Info?
    }

    /// The sources with their `cited` flags, and the `kb` object, once the whole answer is known.
    func final(answer: String, firstToken: ContinuousClock.Instant?) -> (sources: [AnswerStream.Source]?, info: Info) {
        guard let prepared else { return (nil, Info(grounded: false)) }
        let summary = prepared.summary(answer: answer, started: started, firstToken: firstToken)
        let sources = AnswerStream.sources(prepared, cited: Set(summary.citations.map(\.number)))
        return (sources, Info(grounded: true, refused: prepared.refused, invalid_citations: summary.invalidCitations,
                              timings_ms: summary.timings))
    }

    static func finishReason(_ stats: ChatStats?) -> String {
        stats?.doneReason == "length" ? "length" : "stop"
    }

    func chunk(_ delta: Message, finishReason: String? = nil, info: Info? = nil) -> Body {
        Body(id: id, object: "chat.completion.chunk", created: created, model: model,
             choices: [Choice(message: delta, finishReason: finishReason, isDelta: true)], kb: info)
    }

    func usageChunk(_ stats: ChatStats?) -> Body {
        Body(id: id, object: "chat.completion.chunk", created: created, model: model, choices: [],
             usage: Usage(stats))
    }

    func completion(answer: String, stats: ChatStats?, firstToken: ContinuousClock.Instant?) -> Body {
        let (sources, info) = final(answer: answer, firstToken: firstToken)
        return Body(id: id, object: "chat.completion", created: created, model: model,
                    choices: [Choice(message: Message(role: "assistant", content: answer, sources: sources),
                                     finishReason: Self.finishReason(stats), isDelta: false)],
                    usage: Usage(stats), kb: info)
    }
}
