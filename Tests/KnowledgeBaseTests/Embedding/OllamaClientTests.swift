import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

/// Protocol tests of the Ollama client against an in-process fake server; no real Ollama involved.
@Suite(.serialized)
struct OllamaClientTests {
    func client(_ server: FakeHTTPServer, api: EmbedAPI = .auto, batchSize: Int = 4, timeout: Double = 10,
                retries: Int = 3) -> OllamaClient {
        OllamaClient(configuration: OllamaConfiguration(host: server.url, model: "all-minilm", api: api,
                                                        batchSize: batchSize, requestTimeout: timeout,
                                                        retries: retries, backoff: 0.01),
                     logger: quietLogger)
    }

    /// A fake `/api/embed` that returns [len(text), 1, 0] per input (normalised by the client).
    static func embedVectors(_ request: FakeRequest) -> FakeResponse {
        let inputs = request.json["input"] as? [String] ?? []
        return .json(["model": "all-minilm", "embeddings": inputs.map { [Double($0.count), 1, 0] }])
    }

    @Test func batchesInputsIntoEmbedRequestsAndNormalises() async throws {
        let server = try FakeHTTPServer { Self.embedVectors($0) }
        defer { server.stop() }
        let ollama = client(server, batchSize: 4)
        let texts = (1...10).map { String(repeating: "x", count: $0) }
        let vectors = try await BatchEmbedder(client: ollama).embedAll(texts)
        #expect(vectors.count == 10)
        let requests = server.requests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.path == "/api/embed" && $0.method == "POST" })
        #expect(requests.map { ($0.json["input"] as? [String])?.count ?? 0 }.sorted() == [2, 4, 4])
        #expect(requests[0].json["model"] as? String == "all-minilm")
        #expect(requests[0].json["truncate"] as? Bool == false, "kb asks Ollama to refuse, not truncate, long input")
        for (text, vector) in zip(texts, vectors) {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-6)
            #expect(abs(vector[0] / vector[1] - Float(text.count)) < 1e-4, "order is kept")
        }
    }

    @Test func fallsBackToTheLegacyEndpointWhenEmbedIsMissing() async throws {
        let server = try FakeHTTPServer { request in
            if request.path == "/api/embed" { return FakeResponse(status: 404, body: "404 page not found") }
            let prompt = request.json["prompt"] as? String ?? ""
            // The legacy endpoint returns raw, un-normalised vectors.
            return .json(["embedding": [Double(prompt.count) * 3, 4]])
        }
        defer { server.stop() }
        let ollama = client(server)
        let vectors = try await ollama.embed(["abc", "a"])
        #expect(vectors.count == 2)
        #expect(abs(vectors[0][0] - 9 / (81 + 16).squareRoot()) < 1e-6)
        #expect(abs(vectors[1][0] - 0.6) < 1e-6 && abs(vectors[1][1] - 0.8) < 1e-6)
        _ = try await ollama.embed(["again"])
        let paths = server.requests.map(\.path)
        #expect(paths == ["/api/embed", "/api/embeddings", "/api/embeddings", "/api/embeddings"],
                "the missing endpoint is only probed once")
        #expect(server.requests[1].json["prompt"] as? String == "abc")
    }

    @Test func forcedEmbedAPIDoesNotFallBack() async throws {
        let server = try FakeHTTPServer { _ in FakeResponse(status: 404, body: "404 page not found") }
        defer { server.stop() }
        await #expect { try await client(server, api: .embed).embed(["a"]) } throws: {
            "\($0)".contains("--embed-api embeddings")
        }
        #expect(server.requests.count == 1)
    }

    @Test func forcedLegacyAPIUsesEmbeddingsOnly() async throws {
        let server = try FakeHTTPServer { _ in .json(["embedding": [1, 0]]) }
        defer { server.stop() }
        _ = try await client(server, api: .embeddings).embed(["a", "b"])
        #expect(server.requests.map(\.path) == ["/api/embeddings", "/api/embeddings"])
    }

    @Test func retriesA500ThenSucceeds() async throws {
        let calls = Atomic<Int>(0)
        let server = try FakeHTTPServer { request in
            if calls.add(1, ordering: .relaxed).newValue <= 2 {
                return .json(["error": "boom"], status: 500)
            }
            return Self.embedVectors(request)
        }
        defer { server.stop() }
        let ollama = client(server)
        let vectors = try await ollama.embed(["a", "b"])
        #expect(vectors.count == 2)
        #expect(server.requests.count == 3)
        #expect(ollama.counts == OllamaClient.Counters(requests: 3, retries: 2, failures: 0))
    }

    @Test func retries429AndGivesUpAfterThreeRetries() async throws {
        let server = try FakeHTTPServer { _ in .json(["error": "busy"], status: 429) }
        defer { server.stop() }
        let ollama = client(server)
        await #expect { try await ollama.embed(["a"]) } throws: { "\($0)".contains("429") }
        #expect(server.requests.count == 4, "one attempt and three retries")
    }

    @Test func doesNotRetryA400() async throws {
        let server = try FakeHTTPServer { _ in .json(["error": "the input length exceeds the context length"], status: 400) }
        defer { server.stop() }
        let ollama = client(server)
        await #expect { try await ollama.embed(["a"]) } throws: { "\($0)".contains("exceeds the context length") }
        #expect(server.requests.count == 1)
    }

    @Test(.timeLimit(.minutes(1))) func timesOutWithAClearError() async throws {
        // The server never answers: without the client's own time-out this test would wait for ever.
        let server = try FakeHTTPServer { _ in .hanging }
        defer { server.stop() }
        let ollama = client(server, timeout: 0.3, retries: 0)
        await #expect { try await ollama.embed(["a"]) } throws: { error in
            guard case EmbeddingError.timedOut = error else { return false }
            return "\(error)".contains("did not answer within")
        }
        #expect(await server.hangUps.reached(1), "the request was abandoned: the client closed its connection")
    }

    @Test func cancellingTheCallerAbortsTheTransfer() async throws {
        let server = try FakeHTTPServer { _ in .hanging }
        defer { server.stop() }
        let ollama = client(server, timeout: 600, retries: 0)
        let call = Task { try await ollama.embed(["a"]) }
        #expect(await server.arrivals.reached(1))
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(await server.hangUps.reached(1), "curl dropped the connection instead of waiting out its time-out")
    }

    @Test func aFullPoolRefusesAtOnceWithoutARequest() async throws {
        let server = try FakeHTTPServer { _ in .hanging }
        defer { server.stop() }
        let pool = BlockingPool(name: "kb-embed", threads: 1, queueLimit: 0)
        let ollama = OllamaClient(configuration: OllamaConfiguration(host: server.url, requestTimeout: 600, retries: 0),
                                  logger: quietLogger, pool: pool)
        let first = Task { try await ollama.embed(["a"]) }
        #expect(await server.arrivals.reached(1))
        await #expect { try await ollama.embed(["b"]) } throws: { error in
            guard case BlockingPoolError.saturated = error else { return false }
            return true
        }
        #expect(server.requests.count == 1, "the refused call sent nothing")
        first.cancel()
        _ = await first.result
    }

    @Test func modelNotFoundSaysHowToPullIt() async throws {
        let server = try FakeHTTPServer { _ in
            .json(["error": "model \"nomic-embed-text\" not found, try pulling it first"], status: 404)
        }
        defer { server.stop() }
        let ollama = OllamaClient(configuration: OllamaConfiguration(host: server.url, model: "nomic-embed-text"),
                                  logger: quietLogger)
        await #expect { try await ollama.embed(["a"]) } throws: { error in
            (error as? EmbeddingError)?.isFatal == true && "\(error)".contains("ollama pull nomic-embed-text")
        }
        #expect(server.requests.count == 1, "a missing model is not retried and does not trigger the fallback")
    }

    @Test func unreachableServerIsFatalAndSaysSo() async throws {
        let refusing = try RefusingPort()
        defer { refusing.release() }
        let ollama = OllamaClient(configuration: OllamaConfiguration(host: refusing.url, retries: 1, backoff: 0.01),
                                  logger: quietLogger)
        await #expect { try await ollama.embed(["a"]) } throws: { error in
            (error as? EmbeddingError)?.isFatal == true && "\(error)".contains("OLLAMA_HOST")
        }
        #expect(ollama.counts.retries == 1)
    }

    @Test func aPoisonedChunkIsIsolatedAndNamedWhileTheRestLand() async throws {
        let server = try FakeHTTPServer { request in
            let inputs = request.json["input"] as? [String] ?? []
            if inputs.contains(where: { $0.contains("POISON") }) {
                return .json(["error": "failed to process input"], status: 500)
            }
            return Self.embedVectors(request)
        }
        defer { server.stop() }
        let ollama = client(server, batchSize: 8, retries: 0)
        let items = (0..<8).map { (label: "doc.md › section \($0)", text: $0 == 5 ? "POISON text" : "text \($0)") }
        let results = try await BatchEmbedder(client: ollama).embed(items)
        #expect(results.count == 8)
        for (offset, result) in results.enumerated() {
            switch result {
            case .success: #expect(offset != 5)
            case .failure(let error):
                #expect(offset == 5)
                #expect("\(error)".contains("doc.md › section 5"))
                #expect("\(error)".contains("500"))
            }
        }
    }

    @Test func aServerThatFailsEveryRequestStopsTheBatchInsteadOfBisectingIt() async throws {
        // Not retryable, and not about any one text: the model runner is broken.
        let server = try FakeHTTPServer { _ in .json(["error": "llama runner process has terminated"], status: 400) }
        defer { server.stop() }
        let ollama = OllamaClient(configuration: OllamaConfiguration(host: server.url, api: .embed, batchSize: 8,
                                                                     maxConcurrentRequests: 1, retries: 0),
                                  logger: quietLogger)
        let items = (0..<16).map { (label: "doc.md › section \($0)", text: "text \($0)") }
        await #expect { _ = try await BatchEmbedder(client: ollama).embed(items) } throws: { error in
            guard case EmbeddingError.serverFailing = error else { return false }
            return (error as? EmbeddingError)?.isFatal == true && "\(error)".contains("llama runner process")
        }
        // The first batch and one control text; bisecting would have sent 15 requests for each batch of 8.
        #expect(server.requests.count == 2, "\(server.requests.map { $0.json["input"] ?? "" })")
        #expect(server.requests.last?.json["input"] as? [String] == [BatchEmbedder.controlText])
    }

    @Test func keepsAtMostTheConfiguredRequestsInFlight() async throws {
        let inFlight = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let filled = Atomic<Bool>(false)
        // Every request waits until three are in flight at once, so overlap is certain, not a matter of timing.
        let full = Gate()
        let server = try FakeHTTPServer { request in
            let now = inFlight.add(1, ordering: .relaxed).newValue
            _ = peak.max(now, ordering: .relaxed)
            if now == 3 {
                filled.store(true, ordering: .relaxed)
                full.open()
            }
            full.pass(failsafe: 10)
            full.open()  // a client that never reaches three must not make every later request wait out the failsafe
            inFlight.subtract(1, ordering: .relaxed)
            return Self.embedVectors(request)
        }
        defer { server.stop() }
        let vectors = try await BatchEmbedder(client: client(server, batchSize: 1)).embedAll((0..<12).map { "t\($0)" })
        #expect(vectors.count == 12)
        #expect(peak.load(ordering: .relaxed) <= 3)
        #expect(filled.load(ordering: .relaxed) == true, "three requests were in flight at once")
    }

    @Test(arguments: [
        (nil, "http://127.0.0.1:11434"), ("", "http://127.0.0.1:11434"), ("0.0.0.0", "http://0.0.0.0:11434"),
        ("example.com:8080", "http://example.com:8080"), ("https://ollama.internal", "https://ollama.internal:443"),
        ("http://10.0.0.5:11434/", "http://10.0.0.5:11434"), ("[::1]", "http://[::1]:11434"),
    ] as [(String?, String)])
    func ollamaHostIsReadLikeOllamaDoes(value: String?, expected: String) {
        #expect(OllamaConfiguration.normaliseHost(value) == expected)
    }

    @Test func modelNamesAreCanonical() {
        #expect(OllamaConfiguration.canonicalModel("All-MiniLM:latest") == "all-minilm")
        #expect(OllamaConfiguration.canonicalModel("registry.ollama.ai/library/all-minilm") == "all-minilm")
        #expect(OllamaConfiguration.canonicalModel("all-minilm:l6-v2") == "all-minilm:l6-v2")
    }
}
