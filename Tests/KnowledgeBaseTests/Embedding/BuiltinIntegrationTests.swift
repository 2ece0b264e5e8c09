import Foundation
import Testing
@testable import KnowledgeBase

/// The built-in model end to end, and against the numpy server (`KB_TEST_OLLAMA_HOST`, started by `Scripts/test`).
@Suite(.serialized, .enabled(if: MiniLMFixtures.modelAvailable))
struct BuiltinIntegrationTests {
    var embedder: BuiltinEmbedder { MiniLMFixtures.embedder! }
    static var host: String? { ProcessInfo.processInfo.environment["KB_TEST_OLLAMA_HOST"] }

    func makeOllama() -> OllamaClient {
        OllamaClient(configuration: OllamaConfiguration(host: Self.host ?? "", backoff: 0.05), logger: quietLogger)
    }

    func ingestCorpus(into catalog: Catalog, with client: any EmbeddingClient) async throws -> IngestSummary {
        let corpus = packageRoot.appendingPathComponent("Corpus")
        let (files, _) = try SourceDiscovery.discover([corpus.appendingPathComponent("platform").path,
                                                       corpus.appendingPathComponent("networking").path])
        return try await Ingester(catalog: catalog, embedder: client, chunker: Chunker(), logger: quietLogger)
            .ingest(files)
    }

    @Test func semanticSearchOverTheShippedCorpus() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let summary = try await ingestCorpus(into: catalog, with: embedder)
        #expect(summary.failed == 0 && summary.added > 0)
        #expect(try catalog.store.fingerprint()?.embedder == "builtin")
        // No word of the question is in the runbook's file name: this needs meaning, not lexical overlap.
        let result = try await QueryEngine(catalog: catalog, embedder: embedder, logger: quietLogger)
            .query("the server has no storage left and cannot write files", options: QueryOptions(k: 3))
        #expect(result.results.first?.path == "disk-full.md")
    }

    @Test(.enabled(if: Self.host != nil))
    func anIndexBuiltWithOneIsQueriedAndExtendedWithTheOther() async throws {
        let ollama = makeOllama()
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        _ = try await ingestCorpus(into: catalog, with: ollama)
        let question = "the server has no storage left and cannot write files"
        let viaOllama = try await QueryEngine(catalog: catalog, embedder: ollama, logger: quietLogger).query(question)
        let viaBuiltin = try await QueryEngine(catalog: catalog, embedder: embedder, logger: quietLogger)
            .query(question)
        #expect(viaBuiltin.results.map(\.chunkID) == viaOllama.results.map(\.chunkID))
        for (a, b) in zip(viaBuiltin.results, viaOllama.results) { #expect(abs(a.score - b.score) < 1e-4) }
        // Writing with the built-in model into the Ollama-built index is allowed, and its cache is shared.
        let notes = directory.appendingPathComponent("notes")
        try writeFiles(["dns.md": "# DNS\n\nCoreDNS pods crash when the upstream resolver loops back to them."],
                       under: notes)
        let (files, _) = try SourceDiscovery.discover([notes.path])
        let summary = try await Ingester(catalog: catalog, embedder: embedder, chunker: Chunker(), logger: quietLogger)
            .ingest(files)
        #expect(summary.failed == 0 && summary.added == 1 && summary.abortedBecause == nil)
    }

    /// A few hundred varied texts: every line and every chunk of the shipped corpus, and odd inputs.
    static func variedTexts() throws -> [String] {
        let (files, _) = try SourceDiscovery.discover([packageRoot.appendingPathComponent("Corpus").path])
        var lines: [String] = []
        var chunks: [String] = []
        for file in files {
            let text = try String(contentsOf: file.url, encoding: .utf8)
            lines += text.split(separator: "\n").map { String($0) }.filter { $0.count > 3 }
            chunks += Chunker().chunk(text, path: file.storedPath, format: file.format).chunks.map {
                EmbeddingText.make(path: file.storedPath, heading: $0.heading, text: $0.text)
            }
        }
        let odd = ["Größe ändern", "数据库 连接 失败", "🔥 on-call 🔥", "x", "!!!", "tab\tseparated\tvalues",
                   "[CLS] [SEP]", "CamelCaseAlertName", "0x7fffffff", "ünïcödé àccênts"]
        // Every fifth line keeps the debug-build test under a minute; chunks are capped likewise.
        return stride(from: 0, to: lines.count, by: 5).map { lines[$0] } + chunks.prefix(40) + odd
    }

    @Test(.enabled(if: Self.host != nil))
    func vectorsMatchTheServerOnAFewHundredTexts() async throws {
        let ollama = makeOllama()
        let texts = try Self.variedTexts()
        #expect(texts.count >= 200)
        let ours = try await embedder.embed(texts)
        var theirs: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: 64) {
            theirs += try await ollama.embed(Array(texts[start..<min(start + 64, texts.count)]))
        }
        for (text, (a, b)) in zip(texts, zip(ours, theirs)) {
            #expect(MiniLMFixtures.cosine(a, b) >= 0.99999, "\(text.prefix(60))")
        }
    }
}
