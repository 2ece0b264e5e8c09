import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KnowledgeBase
import Testing
@testable import KnowledgeBaseServer

/// A chat model that sends one token, then waits at `gate` before the rest of its answer and Ollama's counters.
final class GatedChat: ChatClient {
    let gate = AsyncGate()
    /// Counts streams that reached the gate.
    let atGate = EventCount()
    let tokens: [String]
    /// Thrown instead of the rest of the answer once the gate opens (nil: the answer completes).
    let failure: (any Error & Sendable)?

    init(tokens: [String] = ["Rotate ", "logs ", "[1]."], failure: (any Error & Sendable)? = nil) {
        self.tokens = tokens
        self.failure = failure
    }

    func models() async throws -> [ChatModelInfo] { [ChatModelInfo(name: "llama3.2:latest", modified: 1)] }

    func chat(model: String, messages: [ChatMessage]) -> AsyncThrowingStream<ChatEvent, any Error> {
        chat(model: model, messages: messages, options: ChatOptions())
    }

    func chat(model: String, messages: [ChatMessage], options: ChatOptions) -> AsyncThrowingStream<ChatEvent, any Error> {
        let tokens = tokens, gate = gate, atGate = atGate, failure = failure
        return AsyncThrowingStream { continuation in
            let task = Task {
                continuation.yield(.token(tokens[0]))
                atGate.increment()
                do { try await gate.wait() } catch { return continuation.finish(throwing: error) }
                if let failure { return continuation.finish(throwing: failure) }
                for token in tokens.dropFirst() { continuation.yield(.token(token)) }
                continuation.yield(.done(ChatStats(doneReason: "stop", promptEvalCount: 42, evalCount: 7)))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// The answer metrics on `/metrics`: recorded when an answer ended, labelled by how it ended, and agreeing with the
/// HTTP request metrics.
struct AnswerMetricsTests {
    /// The value of the sample `series` (name and labels), or nil when `/metrics` has none.
    func sample(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.dropFirst(series.count + 1)) }
    }

    func metrics(_ client: some TestClientProtocol) async throws -> String {
        try await client.send(.get, "/metrics").text
    }

    let ask = #"route="/v1/ask",answer="grounded""#
    let chat = #"route="/v1/chat/completions",answer="grounded""#

    @Test func aStreamedAnswerIsMeasuredOnlyOnceItsStreamEnded() async throws {
        let model = GatedChat()
        let server = try await TestServer(chat: FakeChat())
        var dependencies = server.dependencies
        dependencies.chat = model
        let application = Application(router: buildRouter(dependencies))
        defer { server.cleanUp() }
        try await application.test(.router) { client in
            async let answer = client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate"}"#)
            #expect(await model.atGate.reached(1))
            // The first token went out, the answer is not over: neither it nor its request is counted yet.
            let during = try await metrics(client)
            #expect(sample(during, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"ok\"}") == nil)
            #expect(!during.contains(#"kb_http_requests_total{route="/v1/ask""#), "\(during)")
            model.gate.open()
            let response = try await answer
            #expect(response.status == .ok && response.text.contains(#""type":"done""#))
            let after = try await metrics(client)
            #expect(sample(after, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"ok\"}") == 1)
            #expect(sample(after, "kb_answer_duration_seconds_bucket{\(ask),stream=\"true\",outcome=\"ok\",le=\"+Inf\"}") == 1)
            #expect(sample(after, "kb_answer_first_token_seconds_count{\(ask),stream=\"true\"}") == 1)
            #expect(sample(after, #"kb_http_requests_total{route="/v1/ask",method="POST",status="200"}"#) == 1)
            #expect(sample(after, #"kb_http_request_duration_seconds_count{route="/v1/ask"}"#) == 1)
            // Ollama's counters from its last line.
            #expect(sample(after, "kb_answer_tokens_total{\(ask),kind=\"prompt\",counted_by=\"ollama\"}") == 42)
            #expect(sample(after, "kb_answer_tokens_total{\(ask),kind=\"generated\",counted_by=\"ollama\"}") == 7)
            #expect(!after.contains("counted_by=\"kb\"}"))
            #expect(sample(after, "kb_answers_refused_total{\(ask)}") == nil)
        }
    }

    @Test func aRefusalIsCountedWithoutAFirstTokenOrTokens() async throws {
        let server = try await TestServer()
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            _ = try await client.send(.post, "/v1/ask", json: #"{"question":"quarterly marketing budget"}"#)
            _ = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb","messages":[{"role":"user","content":"quarterly marketing budget"}]}
                """)
            let text = try await metrics(client)
            #expect(sample(text, "kb_answers_refused_total{\(ask)}") == 1)
            #expect(sample(text, "kb_answers_refused_total{\(chat)}") == 1)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"refused\"}") == 1)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(chat),stream=\"false\",outcome=\"refused\"}") == 1)
            #expect(!text.contains("kb_answer_first_token_seconds_count"), "no model token was generated")
            #expect(!text.contains("kb_answer_tokens_total{"))
        }
        #expect(server.chat.received.isEmpty)
    }

    @Test func aStreamThatEndsInAnUpstreamErrorIsNotCountedAs200() async throws {
        let server = try await TestServer(chat: FakeChat(failAfter: 2))
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let response = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate"}"#)
            #expect(response.status == .ok && response.text.contains(#""code":"upstream_error""#))
            let sse = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb","stream":true,"messages":[{"role":"user","content":"disk full logrotate"}]}
                """)
            #expect(sse.status == .ok && sse.text.contains("upstream_error"))
            let text = try await metrics(client)
            for route in ["/v1/ask", "/v1/chat/completions"] {
                #expect(sample(text, "kb_http_requests_total{route=\"\(route)\",method=\"POST\",status=\"502\"}") == 1)
                #expect(sample(text, "kb_http_requests_total{route=\"\(route)\",method=\"POST\",status=\"200\"}") == nil)
            }
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"upstream_error\"}") == 1)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(chat),stream=\"true\",outcome=\"upstream_error\"}") == 1)
            // Ollama sent no last line: the two streamed tokens are kb's count.
            #expect(sample(text, "kb_answer_tokens_total{\(ask),kind=\"generated\",counted_by=\"kb\"}") == 2)
            #expect(sample(text, "kb_answer_tokens_total{\(ask),kind=\"prompt\",counted_by=\"ollama\"}") == nil)
        }
    }

    /// A hang-up ends the chat stream with `CancellationError` (`endingWhenClosed`); the answer is `cancelled` and
    /// its request is counted as 499, not 200.
    @Test func anAnswerTheClientHungUpOnIsCancelled() async throws {
        let model = GatedChat(failure: CancellationError())
        let server = try await TestServer(chat: FakeChat())
        var dependencies = server.dependencies
        dependencies.chat = model
        defer { server.cleanUp() }
        try await Application(router: buildRouter(dependencies)).test(.router) { client in
            model.gate.open()
            _ = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate"}"#)
            let text = try await metrics(client)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"cancelled\"}") == 1)
            #expect(sample(text, #"kb_http_requests_total{route="/v1/ask",method="POST",status="499"}"#) == 1)
            #expect(sample(text, #"kb_http_requests_total{route="/v1/ask",method="POST",status="200"}"#) == nil)
        }
    }

    /// A real hang-up over TCP: the client reads the first token and closes its connection.
    @Test func aClientThatClosesItsConnectionMidAnswerIsCountedAsCancelled() async throws {
        let model = GatedChat()
        let server = try await TestServer(chat: FakeChat())
        let asked = EventCount()
        var dependencies = server.dependencies
        dependencies.chat = model
        dependencies.metrics = ServerMetrics { if $0 == "request /v1/ask" { asked.increment() } }
        defer { server.cleanUp() }
        try await Application(router: buildRouter(dependencies)).test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"question":"disk full logrotate"}"#
            let request = "POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
            let received = try await RawConnection.exchange(port: port, request: request, until: #""type":"token""#)
            #expect(received.contains("200 OK"), "\(received)")
            #expect(await asked.reached(1), "the abandoned answer's request was never counted")
            let text = try await metrics(client)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"cancelled\"}") == 1,
                    "\(text)")
            #expect(sample(text, #"kb_http_requests_total{route="/v1/ask",method="POST",status="499"}"#) == 1)
            #expect(sample(text, #"kb_http_requests_total{route="/v1/ask",method="POST",status="200"}"#) == nil)
            model.gate.open()
        }
    }

    /// How an answer's end is classified: a failed write (the client's connection is gone) is a hang-up too.
    @Test func answerEndsAreClassified() {
        #expect(AnswerMeter.outcome(of: ClientGone(underlying: CancellationError())) == .cancelled)
        #expect(AnswerMeter.status(of: ClientGone(underlying: CancellationError())) == 499)
        #expect(AnswerMeter.outcome(of: ChatError.limitReached("cap")) == .cap)
        #expect(AnswerMeter.status(of: ChatError.cutOff("reset")) == 502)
        #expect(AnswerMeter.status(of: ChatError.unreachable(host: "h", reason: "r")) == 503)
        let full = BlockingPoolError.saturated(pool: "kb-answer", threads: 1, queued: 1, advice: "more --max-answers")
        #expect(AnswerMeter.outcome(of: full) == .busy && AnswerMeter.status(of: full) == 503)
    }

    @Test func nonStreamedAnswersAreMeasuredToo() async throws {
        let server = try await TestServer(configuration: .anyChatModel)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let answer = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate","stream":false}"#)
            #expect(answer.status == .ok)
            let completion = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"kb","messages":[{"role":"user","content":"disk full logrotate"}]}
                """)
            #expect(completion.status == .ok)
            let passthrough = try await client.send(.post, "/v1/chat/completions", json: """
                {"model":"llama3.2:latest","messages":[{"role":"user","content":"a title please"}]}
                """)
            #expect(passthrough.status == .ok)
            let text = try await metrics(client)
            for labels in [ask, chat, #"route="/v1/chat/completions",answer="passthrough""#] {
                #expect(sample(text, "kb_answer_duration_seconds_count{\(labels),stream=\"false\",outcome=\"ok\"}") == 1)
                #expect(sample(text, "kb_answer_first_token_seconds_count{\(labels),stream=\"false\"}") == 1)
                // FakeChat reports 10 prompt tokens and one per token streamed (6).
                #expect(sample(text, "kb_answer_tokens_total{\(labels),kind=\"prompt\",counted_by=\"ollama\"}") == 10)
                #expect(sample(text, "kb_answer_tokens_total{\(labels),kind=\"generated\",counted_by=\"ollama\"}") == 6)
            }
        }
    }

    @Test func anAnswerStoppedByACapIsCountedAsCap() async throws {
        var configuration = ServerConfiguration()
        configuration.answerLimits = AnswerLimits(maxTokens: 3)
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            _ = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate"}"#)
            let plain = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full logrotate","stream":false}"#)
            #expect(plain.status == .badGateway)
            let text = try await metrics(client)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"true\",outcome=\"cap\"}") == 1)
            #expect(sample(text, "kb_answer_duration_seconds_count{\(ask),stream=\"false\",outcome=\"cap\"}") == 1)
            // Both counted alike, streamed or not.
            #expect(sample(text, #"kb_http_requests_total{route="/v1/ask",method="POST",status="502"}"#) == 2)
        }
    }

    @Test func agentAnswersCountEveryTurnsTokens() async throws {
        let model = FakeToolChat(steps: [[ToolCall(name: "search_runbooks", arguments: ["question": "logrotate"])]],
                                 answer: ["Rotate logs [1]", "."])
        let server = try await TestServer(toolChat: model)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            _ = try await client.send(.post, "/v1/ask", json: #"{"question":"disk full","agent":true}"#)
            let text = try await metrics(client)
            let agent = #"route="/v1/ask",answer="agent""#
            #expect(sample(text, "kb_answer_duration_seconds_count{\(agent),stream=\"true\",outcome=\"ok\"}") == 1)
            #expect(sample(text, "kb_answer_first_token_seconds_count{\(agent),stream=\"true\"}") == 1)
            // FakeToolChat reports no eval_count: kb counts the two answer tokens.
            #expect(sample(text, "kb_answer_tokens_total{\(agent),kind=\"generated\",counted_by=\"kb\"}") == 2)
        }
    }

    @Test func theMCPAskToolIsMeasured() async throws {
        var configuration = ServerConfiguration()
        configuration.offersAskTool = true
        let server = try await TestServer(configuration: configuration)
        defer { server.cleanUp() }
        try await server.application.test(.router) { client in
            let headers: HTTPFields = [.accept: "application/json, text/event-stream",
                                       HTTPField.Name("MCP-Protocol-Version")!: "2025-06-18"]
            let call = #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask_runbooks","#
                + #""arguments":{"question":"disk full logrotate"}}}"#
            let reply = try await client.send(.post, "/mcp", json: call, headers: headers)
            #expect(reply.status == .ok && reply.text.contains("logrotate"), "\(reply.text)")
            let text = try await metrics(client)
            let mcp = #"route="/mcp",answer="grounded""#
            #expect(sample(text, "kb_answer_duration_seconds_count{\(mcp),stream=\"false\",outcome=\"ok\"}") == 1)
            #expect(sample(text, "kb_answer_tokens_total{\(mcp),kind=\"generated\",counted_by=\"ollama\"}") == 6)
        }
    }
}

/// A blocking TCP client for a test that must hang up mid-response (off the cooperative pool, on a thread).
enum RawConnection {
    struct Failure: Error { var what: String }

    /// Sends `request` to 127.0.0.1:`port`, reads until the response holds `marker`, then closes the connection.
    static func exchange(port: Int, request: String, until marker: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try blockingExchange(port: port, request: request, until: marker) })
            }.start()
        }
    }

    private static func blockingExchange(port: Int, request: String, until marker: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(what: "connect") }
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw Failure(what: "send") }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { throw Failure(what: "the server closed first: \(String(decoding: received, as: UTF8.self))") }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
