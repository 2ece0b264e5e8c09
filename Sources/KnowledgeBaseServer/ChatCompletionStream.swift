import Foundation
import Hummingbird
import KnowledgeBase
import Logging

/// Sends a chat completion as Server-Sent Events, `data: {chat.completion.chunk}` each, ending with
/// `data: [DONE]`; or collects it into one `chat.completion`.
///
/// The first chunk carries the role, then one chunk per token, then a chunk with the `finish_reason`, the sources in
/// its delta (grounded answers) and the `kb` object; with `stream_options.include_usage` a
/// chunk with no choices and the token counts follows. A failure after the stream began is sent as one
/// `data: {"error":{…}}` event, which OpenAI's SDKs raise as `APIError`.
enum ChatCompletionStream {
    static func write(_ response: ChatCompletionResponse, events: ChatEventCursor, includeUsage: Bool,
                      requestID: String, logger: Logger, meter: AnswerMeter,
                      to writer: inout any ResponseBodyWriter) async throws {
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        var stats: ChatStats?
        do {
            try await writer.write(event(response.chunk(.init(role: "assistant", content: ""))))
            while let event = try await events.next() {
                switch event {
                case .token(let text):
                    if firstToken == nil { firstToken = .now }
                    answer += text
                    try await writer.write(self.event(response.chunk(.init(content: text))))
                case .done(let done):
                    stats = done
                }
            }
            let (sources, info) = response.final(answer: answer, firstToken: firstToken)
            try await writer.write(event(response.chunk(.init(sources: sources),
                                                        finishReason: ChatCompletionResponse.finishReason(stats),
                                                        info: info)))
            if includeUsage { try await writer.write(event(response.usageChunk(stats))) }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            meter.finish(refused: response.prepared?.refused ?? false)
        } catch {
            meter.finish(error: error)
            let failure = APIError.streamFailure(error, requestID: requestID, logger: logger)
            var data = OpenAIError.from(failure, requestID: requestID).body
            data.insert(contentsOf: Data("data: ".utf8), at: 0)
            data.append(contentsOf: Data("\n\n".utf8))
            try await writer.write(ByteBuffer(data: data))
        }
        try await writer.finish(nil)
    }

    /// The whole answer as one `chat.completion`; a failure of the model throws (and becomes a 502 or 503).
    static func collect(_ response: ChatCompletionResponse, events: ChatEventCursor, meter: AnswerMeter) async throws
        -> ChatCompletionResponse.Body
    {
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        var stats: ChatStats?
        while let event = try await events.next() {
            switch event {
            case .token(let text):
                if firstToken == nil { firstToken = .now }
                answer += text
            case .done(let done):
                stats = done
            }
        }
        meter.finish(refused: response.prepared?.refused ?? false)
        return response.completion(answer: answer, stats: stats, firstToken: firstToken)
    }

    static func event(_ body: ChatCompletionResponse.Body) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var data = Data("data: ".utf8)
        data.append(try encoder.encode(body))
        data.append(contentsOf: Data("\n\n".utf8))
        return ByteBuffer(data: data)
    }
}
