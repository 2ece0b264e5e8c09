import Foundation
import Testing
@testable import KnowledgeBase

/// The streaming chat client against a fake Ollama that sends NDJSON in arbitrary pieces.
@Suite(.serialized)
struct OllamaChatClientTests {
    static func line(_ content: String, done: Bool = false) -> String {
        let object: [String: Any] = done
            ? ["model": "m", "message": ["role": "assistant", "content": content], "done": true, "done_reason": "stop",
               "eval_count": 3, "prompt_eval_count": 42]
            : ["model": "m", "message": ["role": "assistant", "content": content], "done": false]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
    }

    func collect(_ stream: AsyncThrowingStream<ChatEvent, any Error>) async -> (tokens: [String], done: ChatStats?, error: (any Error)?) {
        var tokens: [String] = []
        var done: ChatStats?
        do {
            for try await event in stream {
                switch event {
                case .token(let text): tokens.append(text)
                case .done(let stats): done = stats
                }
            }
        } catch {
            return (tokens, done, error)
        }
        return (tokens, done, nil)
    }

    @Test func parsesLinesSplitAcrossArbitraryPieces() async throws {
        let body = Self.line("Check") + Self.line(" the disk") + Self.line(" [1].") + Self.line("", done: true)
        // Cut the stream at awkward places: mid-line, mid-UTF-8 is avoided (ASCII), several lines in one piece.
        let cuts = [7, 40, 41, 150, body.count]
        var pieces: [String] = []
        var start = 0
        for cut in cuts where cut > start {
            let from = body.index(body.startIndex, offsetBy: start), to = body.index(body.startIndex, offsetBy: min(cut, body.count))
            pieces.append(String(body[from..<to]))
            start = cut
        }
        let sent = pieces
        let server = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: sent, pieceDelay: 0.01) }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(
            model: "m", messages: [ChatMessage(role: "user", content: "q")]))
        #expect(result.error == nil)
        #expect(result.tokens == ["Check", " the disk", " [1]."])
        #expect(result.done == ChatStats(doneReason: "stop", promptEvalCount: 42, evalCount: 3))
        let request = try #require(server.requests.first)
        #expect(request.path == "/api/chat")
        #expect(request.json["stream"] as? Bool == true)
        #expect((request.json["messages"] as? [[String: String]])?.first?["content"] == "q")
    }

    @Test func aStreamCutOffBeforeDoneIsAnError() async throws {
        let server = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: [Self.line("partial"), Self.line(" answer")])
        }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(model: "m", messages: []))
        #expect(result.tokens == ["partial", " answer"])
        #expect("\(result.error.map { "\($0)" } ?? "")".contains("cut off"))
    }

    @Test func aMissingChatModelSaysHowToPullIt() async throws {
        let server = try FakeHTTPServer { _ in .json(["error": "model 'llama3.2' not found"], status: 404) }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(model: "llama3.2", messages: []))
        #expect("\(result.error.map { "\($0)" } ?? "")".contains("ollama pull llama3.2"))
    }

    @Test func aConsumerThatStopsReadingAbortsTheUpstreamRequest() async throws {
        // One token, then the server goes quiet for good: only the client closing its connection ends it.
        let server = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: [Self.line("first"), Self.line("never sent")], pauseAfter: 1)
        }
        defer { server.stop() }
        for try await event in OllamaChatClient(host: server.url).chat(model: "m", messages: []) {
            #expect(event == .token("first"))
            break  // the stream is dropped here, as when an HTTP client hangs up
        }
        #expect(await server.hangUps.reached(1), "the transfer was aborted, not left for the stall timeout")
    }

    @Test func aLineLongerThanTheCapIsAnUpstreamErrorAndStopsTheTransfer() async throws {
        let endless = String(repeating: "x", count: NDJSONLines.maxLineBytes + 1)
        let server = try FakeHTTPServer { _ in FakeResponse(status: 200, body: "", pieces: [endless], pauseAfter: 1) }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(model: "m", messages: []))
        guard case ChatError.invalidResponse(let message)? = result.error else {
            Issue.record("expected invalidResponse, got \(String(describing: result.error))")
            return
        }
        #expect(message.contains("longer than 1024 KiB"))
        #expect(await server.hangUps.reached(1), "kb stopped reading instead of buffering on")
    }

    @Test func aLongErrorBodyIsCutAndStillExplained() async throws {
        let server = try FakeHTTPServer { _ in FakeResponse(status: 500, body: String(repeating: "E", count: 300_000)) }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(model: "m", messages: []))
        guard case ChatError.http(500, let message)? = result.error else {
            Issue.record("expected http 500, got \(String(describing: result.error))")
            return
        }
        #expect(message.hasPrefix("EEE") && message.count <= 300)
    }

    @Test func ollamaDownIsReportedAsUnreachable() async throws {
        let refusing = try RefusingPort()
        defer { refusing.release() }
        let result = await collect(OllamaChatClient(host: refusing.url).chat(model: "m", messages: []))
        guard case ChatError.unreachable? = result.error else {
            Issue.record("expected unreachable, got \(String(describing: result.error))")
            return
        }
    }

    @Test func anErrorLineMidStreamEndsTheStream() async throws {
        let server = try FakeHTTPServer { _ in
            FakeResponse(status: 200, body: "", pieces: [Self.line("one"), "{\"error\":\"model crashed\"}\n"])
        }
        defer { server.stop() }
        let result = await collect(OllamaChatClient(host: server.url).chat(model: "m", messages: []))
        #expect(result.tokens == ["one"])
        #expect("\(result.error.map { "\($0)" } ?? "")".contains("model crashed"))
    }

    @Test func citationsAreParsedAndUnknownNumbersFlagged() {
        let citations = Citations.parse("Do X [1]. Then Y [2][5], see [1, 3] and [2-3]; ignore a[i] and [x].",
                                        sourceNumbers: [1, 2, 3])
        #expect(citations.valid == [1, 2, 3])
        #expect(citations.invalid == [5])
        #expect(Citations.parse("no citations here", sourceNumbers: [1]) == Citations(valid: [], invalid: []))
    }
}
