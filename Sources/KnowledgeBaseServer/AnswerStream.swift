import Foundation
import Hummingbird
import KnowledgeBase

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
    }

    struct Citation: Encodable {
        var number: Int
        var path: String
        var heading: String
    }

    struct Done: Encodable {
        var type = "done"
        var citations: [Citation]
        var invalid_citations: [Int]
        var refused: Bool
        var model: String?
        var timings_ms: [String: Double]
    }

    struct Answer: Encodable {
        var question: String
        var answer: String
        var sources: [Source]
        var citations: [Citation]
        var invalid_citations: [Int]
        var refused: Bool
        var timings_ms: [String: Double]
    }

    static func sources(_ prepared: PreparedAnswer) -> [Source] {
        prepared.query.results.map {
            Source(number: $0.rank, chunk_id: $0.chunkID, path: $0.path, heading: $0.heading, score: $0.score,
                   text: $0.text, lines: $0.lines)
        }
    }

    static func done(_ prepared: PreparedAnswer, answer: String, started: ContinuousClock.Instant,
                     firstToken: ContinuousClock.Instant?) -> Done {
        let parsed = Citations.parse(answer, sourceNumbers: prepared.sourceNumbers)
        let byNumber = Dictionary(uniqueKeysWithValues: prepared.query.results.map { ($0.rank, $0) })
        var timings = ["embed": prepared.query.timings.embed, "search": prepared.query.timings.search,
                       "total": milliseconds(started.duration(to: .now))]
        if let firstToken { timings["first_token"] = milliseconds(started.duration(to: firstToken)) }
        return Done(citations: parsed.valid.compactMap { number in
                        byNumber[number].map { Citation(number: number, path: $0.path, heading: $0.heading) }
                    },
                    invalid_citations: parsed.invalid, refused: prepared.refused, model: nil, timings_ms: timings)
    }

    static func write(_ prepared: PreparedAnswer, events: AsyncThrowingStream<ChatEvent, any Error>,
                      started: ContinuousClock.Instant, to writer: inout any ResponseBodyWriter) async throws {
        struct SourcesLine: Encodable { var type = "sources"; var sources: [Source] }
        struct TokenLine: Encodable { var type = "token"; var text: String }
        struct ErrorLine: Encodable { var type = "error"; var error: Inner; struct Inner: Encodable { var code: String; var message: String } }
        try await writer.write(line(SourcesLine(sources: sources(prepared))))
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        do {
            for try await event in events {
                switch event {
                case .token(let text):
                    if firstToken == nil { firstToken = .now }
                    answer += text
                    try await writer.write(line(TokenLine(text: text)))
                case .done:
                    break
                }
            }
            try await writer.write(line(done(prepared, answer: answer, started: started, firstToken: firstToken)))
        } catch {
            let code = error is ChatError ? "upstream_error" : "internal_error"
            try await writer.write(line(ErrorLine(error: .init(code: code, message: "\(error)"))))
        }
        try await writer.finish(nil)
    }

    static func collect(_ prepared: PreparedAnswer, events: AsyncThrowingStream<ChatEvent, any Error>,
                        started: ContinuousClock.Instant) async throws -> Answer {
        var answer = ""
        var firstToken: ContinuousClock.Instant?
        do {
            for try await event in events {
                if case .token(let text) = event {
                    if firstToken == nil { firstToken = .now }
                    answer += text
                }
            }
        } catch {
            throw APIError(.badGateway, code: "upstream_error", "\(error)")
        }
        let summary = done(prepared, answer: answer, started: started, firstToken: firstToken)
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

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}
