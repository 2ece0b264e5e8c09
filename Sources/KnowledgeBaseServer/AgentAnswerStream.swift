import Foundation
import Hummingbird
import KnowledgeBase
import Logging

/// The NDJSON protocol of `/v1/ask` with `"agent": true`: `tool_call`, `sources` (each time passages are first
/// shown, numbered), `note` and `token` lines as they happen, then `done` with every passage shown (or `error`).
enum AgentAnswerStream {
    struct Done: Encodable {
        var type = "done"
        var sources: [AnswerStream.Source]
        var citations: [ResolvedCitation]
        var invalid_citations: [Int]
        var refused: Bool
        var timings_ms: [String: Double]
    }

    struct Answer: Encodable {
        var question: String
        var answer: String
        var sources: [AnswerStream.Source]
        var citations: [ResolvedCitation]
        var invalid_citations: [Int]
        var refused: Bool
        var tool_calls: [AgentToolCall]
        var notes: [String]
        var timings_ms: [String: Double]
    }

    static func sources(_ hits: [QueryHit]) -> [AnswerStream.Source] {
        hits.map {
            AnswerStream.Source(number: $0.rank, chunk_id: $0.chunkID, path: $0.path, heading: $0.heading,
                                score: $0.score, text: $0.text, lines: $0.lines)
        }
    }

    static func write(_ events: AsyncThrowingStream<AgentEvent, any Error>, question: String, mode: SearchMode,
                      meter: AnswerMeter, requestID: String, logger: Logger,
                      to writer: inout any ResponseBodyWriter) async throws {
        struct SourcesLine: Encodable { var type = "sources"; var sources: [AnswerStream.Source] }
        struct TokenLine: Encodable { var type = "token"; var text: String }
        struct NoteLine: Encodable { var type = "note"; var text: String }
        struct ToolLine: Encodable {
            var type = "tool_call"
            var name: String
            var arguments: ToolValue
            var is_error: Bool
            var error: String?
            var sources: [Int]
        }
        struct ErrorLine: Encodable {
            var type = "error"
            var error: Inner
            struct Inner: Encodable { var code: String; var message: String }
        }
        var answer = "", shown: [QueryHit] = [], finished: PreparedAnswer?
        var firstToken: ContinuousClock.Instant?
        do {
            for try await event in events {
                switch event {
                case .token(let text):
                    if firstToken == nil { firstToken = .now }
                    answer += text
                    try await writer.write(AnswerStream.line(TokenLine(text: text)))
                case .sources(let hits):
                    shown += hits
                    try await writer.write(AnswerStream.line(SourcesLine(sources: sources(hits))))
                case .note(let note):
                    try await writer.write(AnswerStream.line(NoteLine(text: note)))
                case .toolCall(let call):
                    try await writer.write(AnswerStream.line(ToolLine(name: call.name, arguments: call.arguments,
                                                                      is_error: call.isError, error: call.error,
                                                                      sources: call.sources)))
                case .finished(let prepared):
                    finished = prepared
                }
            }
            let prepared = finished ?? PreparedAnswer(question: question, shown: shown, mode: mode)
            let summary = prepared.summary(answer: answer, started: meter.started, firstToken: firstToken)
            try await writer.write(AnswerStream.line(Done(
                sources: sources(prepared.query.results), citations: summary.citations,
                invalid_citations: summary.invalidCitations, refused: prepared.refused, timings_ms: summary.timings)))
            meter.finish(refused: prepared.refused)
        } catch {
            meter.finish(error: error)
            let failure = APIError.streamFailure(error, requestID: requestID, logger: logger)
            let code = error is ChatError ? "upstream_error" : failure.code
            try await writer.write(AnswerStream.line(ErrorLine(error: .init(code: code, message: failure.message))))
        }
        try await writer.finish(nil)
    }

    static func collect(_ events: AsyncThrowingStream<AgentEvent, any Error>, question: String, mode: SearchMode,
                        meter: AnswerMeter) async throws -> Answer {
        var answer = "", shown: [QueryHit] = [], calls: [AgentToolCall] = [], notes: [String] = []
        var finished: PreparedAnswer?
        var firstToken: ContinuousClock.Instant?
        do {
            for try await event in events {
                switch event {
                case .token(let text):
                    if firstToken == nil { firstToken = .now }
                    answer += text
                case .sources(let hits): shown += hits
                case .note(let note): notes.append(note)
                case .toolCall(let call): calls.append(call)
                case .finished(let prepared): finished = prepared
                }
            }
        } catch let error as ChatError {
            meter.finish(error: error)
            throw APIError(.badGateway, code: "upstream_error", error.description)
        } catch {
            meter.finish(error: error)
            throw error
        }
        let prepared = finished ?? PreparedAnswer(question: question, shown: shown, mode: mode)
        meter.finish(refused: prepared.refused)
        let summary = prepared.summary(answer: answer, started: meter.started, firstToken: firstToken)
        return Answer(question: question, answer: answer, sources: sources(prepared.query.results),
                      citations: summary.citations, invalid_citations: summary.invalidCitations,
                      refused: prepared.refused, tool_calls: calls, notes: notes, timings_ms: summary.timings)
    }
}
