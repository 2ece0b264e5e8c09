import Foundation
import Hummingbird
import KnowledgeBase
import Logging

/// The NDJSON protocol of `/v1/ask`: `sources`, then `token` lines, then `done` (or `error`).
enum AnswerStream {
    struct Source: Encodable {
        var number: Int
        var chunk_id: Int64
        var path: String
        var heading: String
        var score: Float
        var text: String
        var lines: [Int]
        /// Whether the answer cites this source; only known once the answer is complete (nil before).
        var cited: Bool?
    }

    struct Done: Encodable {
        var type = "done"
        var citations: [ResolvedCitation]
        var invalid_citations: [Int]
        var refused: Bool
        var timings_ms: [String: Double]
    }

    struct Answer: Encodable {
        var question: String
        var answer: String
        var sources: [Source]
        var citations: [ResolvedCitation]
        var invalid_citations: [Int]
        var refused: Bool
        var timings_ms: [String: Double]
    }

    /// The retrieved sources in rank order; with `cited`, each says whether the answer cites it.
    static func sources(_ prepared: PreparedAnswer, cited: Set<Int>? = nil) -> [Source] {
        prepared.query.results.map {
            Source(number: $0.rank, chunk_id: $0.chunkID, path: $0.path, heading: $0.heading, score: $0.score,
                   text: $0.text, lines: $0.lines, cited: cited.map { [rank = $0.rank] in $0.contains(rank) })
        }
    }

    static func done(_ prepared: PreparedAnswer, answer: String, started: ContinuousClock.Instant,
                     firstToken: ContinuousClock.Instant?) -> Done {
        let summary = prepared.summary(answer: answer, started: started, firstToken: firstToken)
        return Done(citations: summary.citations, invalid_citations: summary.invalidCitations, refused: prepared.refused,
                    timings_ms: summary.timings)
    }

    /// Writes the answer; `meter` records it once its last line is written (or it failed).
    static func write(_ prepared: PreparedAnswer, events: ChatEventCursor, requestID: String, logger: Logger,
                      meter: AnswerMeter, to writer: inout any ResponseBodyWriter) async throws {
        struct SourcesLine: Encodable { var type = "sources"; var sources: [Source] }
        struct TokenLine: Encodable { var type = "token"; var text: String }
        struct ErrorLine: Encodable { var type = "error"; var error: Inner; struct Inner: Encodable { var code: String; var message: String } }
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        do {
            try await writer.write(line(SourcesLine(sources: sources(prepared))))
            while let event = try await events.next() {
                switch event {
                case .token(let text):
                    if firstToken == nil { firstToken = .now }
                    answer += text
                    try await writer.write(line(TokenLine(text: text)))
                case .done:
                    break
                }
            }
            try await writer.write(line(done(prepared, answer: answer, started: meter.started, firstToken: firstToken)))
            meter.finish(refused: prepared.refused)
        } catch {
            meter.finish(error: error)
            let failure = APIError.streamFailure(error, requestID: requestID, logger: logger)
            let code = error is ChatError ? "upstream_error" : failure.code
            try await writer.write(line(ErrorLine(error: .init(code: code, message: failure.message))))
        }
        try await writer.finish(nil)
    }

    /// The whole answer as one object; a failure of the model throws (`ChatError.apiError` gives its status).
    static func collect(_ prepared: PreparedAnswer, events: ChatEventCursor, meter: AnswerMeter) async throws -> Answer {
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        while let event = try await events.next() {
            if case .token(let text) = event {
                if firstToken == nil { firstToken = .now }
                answer += text
            }
        }
        meter.finish(refused: prepared.refused)
        let summary = done(prepared, answer: answer, started: meter.started, firstToken: firstToken)
        return Answer(question: prepared.query.question, answer: answer, sources: sources(prepared),
                      citations: summary.citations, invalid_citations: summary.invalid_citations,
                      refused: prepared.refused, timings_ms: summary.timings_ms)
    }

    static func line<T: Encodable>(_ value: T) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return ByteBuffer(data: data)
    }
}
