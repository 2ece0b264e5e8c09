import Foundation
import Testing
@testable import KnowledgeBase

/// The built-in all-MiniLM-L6-v2 against the reference vectors; skipped when the model is not fetched.
@Suite(.enabled(if: MiniLMFixtures.modelAvailable))
struct BuiltinEmbedderTests {
    var embedder: BuiltinEmbedder { MiniLMFixtures.embedder! }

    struct OllamaReference: Decodable {
        struct Legacy: Decodable { var prompt: String; var embedding: [Float] }
        struct Batch: Decodable { var input: [String]; var embeddings: [[Float]]; var prompt_eval_count: Int }
        var api_embeddings: Legacy
        var api_embed: Batch
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: MiniLMFixtures.ollamaReference.path)))
    func vectorsMatchWhatARealOllamaReturned() async throws {
        let reference = try JSONDecoder().decode(OllamaReference.self,
                                                 from: Data(contentsOf: MiniLMFixtures.ollamaReference))
        let vectors = try await embedder.embed(reference.api_embed.input)
        for (vector, expected) in zip(vectors, reference.api_embed.embeddings) {
            #expect(vector.count == 384)
            // Ollama runs fp16 weights; the fp32 reference agrees with them to 0.9999994.
            #expect(MiniLMFixtures.cosine(vector, expected) >= 0.9999)
        }
        let tokens = reference.api_embed.input.reduce(0) { $0 + embedder.tokenCount($1)! }
        #expect(tokens == reference.api_embed.prompt_eval_count)
        // The legacy endpoint returns the raw mean-pooled vector (norm about 6.6), before normalisation.
        let raw = embedder.embed(ids: [embedder.modelInput(reference.api_embeddings.prompt)], normalize: false)[0]
        let expected = reference.api_embeddings.embedding
        #expect(MiniLMFixtures.cosine(raw, expected) >= 0.9999)
        let norm = { (v: [Float]) in v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        #expect(abs(norm(raw) - norm(expected)) < 0.01)
    }

    @Test func vectorsMatchTheFP32Reference() throws {
        let cases = try MiniLMFixtures.vectorCases()
        #expect(cases.count >= 35)
        let vectors = embedder.embedBlocking(cases.map(\.text))
        for (testCase, vector) in zip(cases, vectors) {
            let label = "\(testCase.text.debugDescription.prefix(60))"
            #expect(min(embedder.tokenCount(testCase.text)!, 512) == testCase.tokens, "\(label)")
            #expect(MiniLMFixtures.cosine(vector, testCase.floats) >= 0.99999, "\(label)")
            let largest = zip(vector, testCase.floats).map { abs($0 - $1) }.max() ?? 1
            #expect(largest < 2e-5, "\(label): largest difference \(largest)")
        }
    }

    @Test func aBatchGivesTheVectorsOfSingleTexts() async throws {
        let texts = ["disk full", "", "certificate expired on the ingress", "x509: certificate has expired",
                     String(repeating: "replica lag ", count: 200), "日本語", "🚀"]
        let batch = try await embedder.embed(texts)
        for (text, vector) in zip(texts, batch) {
            let single = try await embedder.embed([text])[0]
            #expect(MiniLMFixtures.cosine(single, vector) > 0.9999999)
            #expect(zip(single, vector).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5, "L2-normalised")
        }
        // Passes are split by tokens: a batch bigger than one pass gives the same vectors too.
        let small = try BuiltinEmbedder(locator: MiniLMFixtures.locator, threads: 1, tokensPerPass: 512,
                                        logger: quietLogger)
        let split = try await small.embed(texts)
        for (a, b) in zip(split, batch) { #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 }) }
    }

    @Test func questionsAskedAtOnceShareOneForwardPassAndGetTheirOwnVectors() async throws {
        // The pool's one thread is held, so every call is queued before the first pass can start.
        let pool = BlockingPool(name: "test", threads: 1, queueLimit: 16)
        let embedder = try BuiltinEmbedder(locator: MiniLMFixtures.locator, threads: 2, pool: pool,
                                           logger: quietLogger)
        let questions = (0..<12).map { "why is node \($0) losing time although ntp is configured?" }
        let alone = questions.map { embedder.embedBlocking([$0])[0] }
        let held = EventCount()
        let release = Gate()
        let together = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            group.addTask {
                try await pool.run { _ in
                    held.increment()
                    release.pass()
                }
                return (-1, [])
            }
            #expect(await held.reached(1))
            for (index, question) in questions.enumerated() {
                group.addTask { (index, try await embedder.embed([question])[0]) }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while embedder.coalescer.waitingCalls < questions.count, ContinuousClock.now < deadline {
                await Task.yield()
            }
            release.open()
            var vectors = [[Float]](repeating: [], count: questions.count)
            for try await (index, vector) in group where index >= 0 { vectors[index] = vector }
            return vectors
        }
        #expect(embedder.coalescedBatches == 1, "twelve questions, one forward pass")
        for (a, b) in zip(alone, together) { #expect(MiniLMFixtures.cosine(a, b) > 0.99999) }
    }

    @Test func textsOverTheContextAreCutTo512TokensAndCounted() async throws {
        let embedder = try BuiltinEmbedder(locator: MiniLMFixtures.locator, threads: 2, logger: quietLogger)
        let long = (0..<700).map { "word\($0 % 50)" }.joined(separator: " ")
        #expect(embedder.tokenCount(long)! > 512)
        let ids = embedder.modelInput(long)
        #expect(ids.count == 512 && ids.first == 101 && ids.last == 102)
        let cut = try await embedder.embed([long])[0]
        #expect(embedder.truncatedTexts == 2)  // modelInput above, and embed
        #expect(cut == embedder.embed(ids: [ids])[0])
    }

    @Test func theExactTokenCountReachesThroughWrappers() {
        let counting = CountingEmbeddingClient(embedder)
        #expect(counting.tokenCount("why is the sky blue?") == 8)
        #expect(HashEmbedder().tokenCount("why is the sky blue?") == nil)
    }
}
