import Foundation
import Testing
@testable import KnowledgeBase

/// Against the real all-MiniLM-L6-v2 behind Ollama's API (`../shared/tools/ollama-minilm`), started by
/// `Scripts/test`; skipped when `KB_TEST_OLLAMA_HOST` is not set.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["KB_TEST_OLLAMA_HOST"] != nil))
struct OllamaIntegrationTests {
    static var host: String { ProcessInfo.processInfo.environment["KB_TEST_OLLAMA_HOST"] ?? "" }
    static var flakyHost: String? { ProcessInfo.processInfo.environment["KB_TEST_OLLAMA_FLAKY_HOST"] }

    struct Reference: Decodable {
        struct Legacy: Decodable { var prompt: String; var embedding: [Float] }
        struct Batch: Decodable { var input: [String]; var embeddings: [[Float]] }
        var api_embeddings: Legacy
        var api_embed: Batch
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for (x, y) in zip(a, b) { dot += x * y; na += x * x; nb += y * y }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func client(_ api: EmbedAPI, host: String = Self.host) -> OllamaClient {
        OllamaClient(configuration: OllamaConfiguration(host: host, api: api, backoff: 0.05), logger: quietLogger)
    }

    @Test(arguments: [EmbedAPI.embed, .embeddings])
    func vectorsMatchWhatARealOllamaReturned(api: EmbedAPI) async throws {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/tools/ollama-minilm/ollama_reference.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        let vectors = try await client(api).embed(reference.api_embed.input)
        for (vector, expected) in zip(vectors, reference.api_embed.embeddings) {
            #expect(vector.count == 384)
            #expect(Self.cosine(vector, expected) > 0.9999)
            #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5, "normalised on receipt")
        }
        let legacy = try await client(api).embed([reference.api_embeddings.prompt])[0]
        #expect(Self.cosine(legacy, reference.api_embeddings.embedding) > 0.9999)
    }

    @Test func semanticSearchOverTheShippedCorpus() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let corpus = packageRoot.appendingPathComponent("Corpus")
        let (files, _) = try SourceDiscovery.discover([corpus.appendingPathComponent("platform").path,
                                                       corpus.appendingPathComponent("networking").path])
        let summary = try await Ingester(catalog: catalog, embedder: client(.auto), chunker: Chunker(), logger: quietLogger)
            .ingest(files)
        #expect(summary.failed == 0 && summary.added == files.count)
        let engine = QueryEngine(catalog: catalog, embedder: client(.auto), logger: quietLogger)
        // No word of the question is in the runbook's file name: this needs meaning, not lexical overlap.
        let result = try await engine.query("the server has no storage left and cannot write files", options: QueryOptions(k: 3))
        #expect(result.results.first?.path == "disk-full.md")
    }

    @Test func ingestSurvivesAServerThatFailsARandomThirdOfRequests() async throws {
        let flaky = try #require(Self.flakyHost)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([packageRoot.appendingPathComponent("Corpus/kubernetes").path])
        let ollama = OllamaClient(configuration: OllamaConfiguration(host: flaky, batchSize: 8, retries: 6, backoff: 0.02),
                                  logger: quietLogger)
        let summary = try await Ingester(catalog: catalog, embedder: ollama, chunker: Chunker(), logger: quietLogger)
            .ingest(files)
        #expect(summary.failed == 0 && summary.added == files.count)
        #expect(ollama.counts.retries > 0, "the fault injection did fire")
    }
}
