import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

/// kb's caps on an answer: tokens (sent as num_predict), characters, total time; and bounded NDJSON buffers.
struct LimitedChatClientTests {
    /// Sends `tokens`, then `done` with `doneReason` (or, with `hang`, nothing more until cancelled).
    final class ScriptedChat: ChatClient {
        let tokens: [String]
        let doneReason: String
        let hang: Bool
        let options = Mutex<[ChatOptions]>([])
        let terminated = EventCount()

        init(tokens: [String], doneReason: String = "stop", hang: Bool = false) {
            self.tokens = tokens
            self.doneReason = doneReason
            self.hang = hang
        }

        func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
            chat(model: model, messages: messages, options: ChatOptions())
        }

        func chat(model: String, messages: [ChatMessage], options: ChatOptions)
            -> AsyncThrowingStream<ChatEvent, any Error>
        {
            self.options.withLock { $0.append(options) }
            let (tokens, reason, hang, terminated) = (self.tokens, doneReason, self.hang, self.terminated)
            return AsyncThrowingStream { continuation in
                for token in tokens { continuation.yield(.token(token)) }
                if !hang {
                    continuation.yield(.done(ChatStats(doneReason: reason)))
                    continuation.finish()
                }
                continuation.onTermination = { _ in terminated.increment() }
            }
        }
    }

    func collect(_ stream: AsyncThrowingStream<ChatEvent, any Error>) async -> (text: String, error: (any Error)?) {
        var text = ""
        do {
            for try await event in stream { if case .token(let token) = event { text += token } }
        } catch {
            return (text, error)
        }
        return (text, nil)
    }

    @Test func theTokenCapIsSentAndAClientMayOnlyAskForLess() async {
        let inner = ScriptedChat(tokens: ["ok"])
        let limited = LimitedChatClient(inner, limits: AnswerLimits(maxTokens: 100))
        for asked in [nil, 20, 500] as [Int?] {
            _ = await collect(limited.chat(model: "m", messages: [], options: ChatOptions(maxTokens: asked)))
        }
        #expect(inner.options.withLock { $0.map(\.maxTokens) } == [100, 20, 100])
    }

    @Test func reachingKbsTokenCapIsAnErrorNotASilentlyShortAnswer() async {
        let limited = LimitedChatClient(ScriptedChat(tokens: ["a", "b"], doneReason: "length"),
                                        limits: AnswerLimits(maxTokens: 2))
        let own = await collect(limited.chat(model: "m", messages: []))
        #expect(own.text == "ab")
        #expect("\(own.error.map { "\($0)" } ?? "")".contains("--max-answer-tokens"))
        // A cap the client asked for is the client's choice: the answer ends normally.
        let asked = await collect(limited.chat(model: "m", messages: [], options: ChatOptions(maxTokens: 1)))
        #expect(asked.error == nil)
    }

    @Test func tooManyCharactersEndTheStreamAndCancelTheBackend() async {
        let inner = ScriptedChat(tokens: Array(repeating: "0123456789", count: 10), hang: true)
        let limited = LimitedChatClient(inner, limits: AnswerLimits(maxTokens: 10, maxCharacters: 35))
        let result = await collect(limited.chat(model: "m", messages: []))
        #expect(result.text == "012345678901234567890123456789")
        guard case ChatError.limitReached(let message)? = result.error else {
            Issue.record("expected limitReached, got \(String(describing: result.error))")
            return
        }
        #expect(message.contains("35 characters") && message.contains("--max-answer-tokens"))
        #expect(await inner.terminated.reached(1), "the backend's stream was cancelled")
    }

    @Test func anAnswerPastTheTimeoutIsStoppedWithAnErrorNamingTheFlag() async {
        let inner = ScriptedChat(tokens: ["partial "], hang: true)
        let limited = LimitedChatClient(inner, limits: AnswerLimits(maxTokens: 10, timeout: .milliseconds(50)))
        let result = await collect(limited.chat(model: "m", messages: []))
        #expect(result.text == "partial ")
        #expect("\(result.error.map { "\($0)" } ?? "")".contains("--chat-timeout"))
        #expect(await inner.terminated.reached(1), "the backend's stream was cancelled")
    }

    @Test func ndjsonLinesAreSplitAndBounded() throws {
        var lines = NDJSONLines(maxLine: 8)
        let first = try Data("ab\ncd".utf8).withUnsafeBytes { try lines.lines(in: $0) }
        #expect(first == [Data("ab".utf8)])
        let second = try Data("e\n\n".utf8).withUnsafeBytes { try lines.lines(in: $0) }
        #expect(second == [Data("cde".utf8), Data()])
        #expect(throws: ChatError.self) { try Data("123456789".utf8).withUnsafeBytes { try lines.lines(in: $0) } }

        var errors = NDJSONLines()
        let big = Data(repeating: 0x41, count: NDJSONLines.maxErrorBodyBytes / 2 + 1)
        #expect(!big.withUnsafeBytes { errors.keepError($0) })
        #expect(big.withUnsafeBytes { errors.keepError($0) }, "full after 64 KiB")
        #expect(errors.errorBody.count == NDJSONLines.maxErrorBodyBytes)
    }
}
