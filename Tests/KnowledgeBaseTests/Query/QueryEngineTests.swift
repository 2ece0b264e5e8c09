import Foundation
import Testing
@testable import KnowledgeBase

struct QueryEngineTests {
    func loadedCatalog(_ directory: URL) async throws -> Catalog {
        try writeFiles([
            "disk-full.md": "# Disk full\n## Diagnosis\nRun df -h to find the full filesystem.\n## Fix\nRotate the logs.",
            "cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.",
        ], under: directory)
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([directory.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
            .ingest(files)
        return catalog
    }

    @Test func findsTheRightSectionAndBuildsACitedPrompt() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = QueryEngine(catalog: try await loadedCatalog(directory), embedder: HashEmbedder(), logger: quietLogger)
        let result = try await engine.query("how do I renew the certificate with certbot?", options: QueryOptions(k: 2))
        let top = try #require(result.results.first)
        #expect(top.path == "cert-expiry.md" && top.heading == "Certificate expiry › Renew")
        #expect(top.rank == 1 && top.lines == [3, 3])
        #expect(result.prompt.contains("[1] cert-expiry.md › Certificate expiry › Renew\nRun certbot renew"))
        #expect(result.prompt.contains("The runbooks do not cover this."))
        #expect(result.prompt.hasSuffix("Question: how do I renew the certificate with certbot?\nAnswer:"))
        #expect(result.timings.total >= result.timings.search)
    }

    @Test func aQuestionNothingMatchesGetsNoSourcesAndAPromptThatSaysSo() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = QueryEngine(catalog: try await loadedCatalog(directory), embedder: HashEmbedder(), logger: quietLogger)
        let result = try await engine.query("quarterly marketing budget spreadsheet", options: QueryOptions(minScore: 0.3))
        #expect(result.results.isEmpty)
        #expect(result.prompt.contains(PromptBuilder.noContext))
    }

    @Test func queryingWithAnotherEmbedderNamesBothAndHowToReindex() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try await loadedCatalog(directory)
        let engine = QueryEngine(catalog: catalog, embedder: FakeEmbeddingClient(kind: "ollama", model: "all-minilm"),
                                 logger: quietLogger)
        await #expect { try await engine.query("disk") } throws: { error in
            let text = "\(error)"
            return text.contains("hash embedder") && text.contains("all-minilm") && text.contains("kb reindex --embedder ollama")
        }
    }

    @Test func anEmptyKnowledgeBaseSaysHowToFillIt() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = QueryEngine(catalog: try makeCatalog(in: directory), embedder: HashEmbedder(), logger: quietLogger)
        await #expect { try await engine.query("disk") } throws: { "\($0)".contains("kb ingest") }
    }

    @Test func promptBudgetKeepsTheBestSourcesThatFit() {
        let sources = (1...5).map { PromptSource(number: $0, path: "p\($0).md", heading: "H",
                                                 text: String(repeating: "word ", count: 100)) }
        let (prompt, included) = PromptBuilder(contextTokens: 250).build(question: "q", sources: sources)
        #expect(included == 2)
        #expect(prompt.contains("[2] p2.md › H") && !prompt.contains("[3] p3.md"))
        #expect(PromptBuilder(contextTokens: 10).build(question: "q", sources: sources).included == 1,
                "the best source is always included")
    }

    @Test func queriesDuringReplacementsNeverSeeATornDocument() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try await loadedCatalog(directory)
        let engine = QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        let chunker = Chunker()
        let embedder = HashEmbedder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for version in 0..<60 {
                    // Every version of the document has three sections that all name the same version.
                    let text = (1...3).map { "## Part \($0)\nrenew certificate version v\(version) part \($0)" }
                        .joined(separator: "\n")
                    let chunks = chunker.chunk("# Certificate expiry\n" + text, path: "cert-expiry.md", format: .markdown).chunks
                    let vectors = chunks.map { embedder.vector(EmbeddingText.make(path: "cert-expiry.md", heading: $0.heading, text: $0.text)) }
                    _ = try catalog.commit(DocumentWrite(path: "cert-expiry.md", title: "C", format: .markdown,
                                                         sha256: "v\(version)", size: 1, chunker: "c", chunks: chunks,
                                                         vectors: vectors), fingerprint: try catalog.store.fingerprint()!)
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<60 {
                        let result = try await engine.query("renew certificate version part", options: QueryOptions(k: 10, minScore: -1))
                        let versions = Set(result.results.filter { $0.path == "cert-expiry.md" }
                            .compactMap { $0.text.split(separator: " ").first { $0.hasPrefix("v") } })
                        #expect(versions.count <= 1, "one query saw two versions: \(versions)")
                        #expect(result.results.allSatisfy { !$0.text.isEmpty })
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

struct SearchModeTests {
    func engine(_ directory: URL) async throws -> QueryEngine {
        try writeFiles([
            "alerts/KubeletTooManyPods.md": "# KubeletTooManyPods\n## Meaning\nThe kubelet runs close to its pod capacity.",
            "alerts/NodeFilesystemAlmostOutOfSpace.md": "# NodeFilesystemAlmostOutOfSpace\n## Mitigation\nFree space on the node filesystem.",
            "alerts/disk-pressure.md": "# Disk pressure\n## Meaning\nThe node reports DiskPressure and evicts pods.",
        ], under: directory)
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([directory.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger).ingest(files)
        return QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
    }

    @Test(arguments: SearchMode.allCases)
    func everyModeFindsAnExactAlertName(mode: SearchMode) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try await engine(directory).query("KubeletTooManyPods firing on worker-3",
                                                       options: QueryOptions(k: 3, minScore: 0, mode: mode))
        #expect(result.results.first?.path == "alerts/KubeletTooManyPods.md")
    }

    @Test func hybridKeepsTheCosineMinimumSoItStillRefuses() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try await engine(directory)
        // "pods" matches keywords, but no chunk is close in meaning at a high minimum.
        let refused = try await engine.query("pods", options: QueryOptions(minScore: 0.9, mode: .hybrid))
        #expect(refused.results.isEmpty)
        let keyword = try await engine.query("pods", options: QueryOptions(minScore: 0.9, mode: .keyword))
        #expect(keyword.refused && keyword.results.isEmpty, "every mode refuses alike")
        let lexical = try await engine.query("pods evicts", options: QueryOptions(minScore: 0, mode: .keyword, refusal: .minScore))
        #expect(lexical.results.first?.path == "alerts/disk-pressure.md")
        #expect(!lexical.refused && !lexical.results.isEmpty, "keyword hits are BM25-ranked, not cut by cosine")
        let hybrid = try await engine.query("node filesystem out of space", options: QueryOptions(k: 3, mode: .hybrid))
        let minimum = QueryOptions.defaultMinScore(for: try #require(try engine.catalog.store.fingerprint()))
        // The minimum applies to what the search retrieves; added sections come from a runbook that passed it.
        #expect(hybrid.results.filter { $0.included == .retrieved }.allSatisfy { $0.score >= minimum })
        #expect(hybrid.results.first?.path == "alerts/NodeFilesystemAlmostOutOfSpace.md")
    }
}
