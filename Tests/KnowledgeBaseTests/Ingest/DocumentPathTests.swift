import Foundation
import Testing
@testable import KnowledgeBase

struct DocumentPathTests {
    static let forbidden: [Unicode.Scalar] = ["\u{0}", "\u{1B}", "\u{9}", "\u{A}", "\u{D}", "\u{7F}", "\u{80}",
                                              "\u{9B}", "\u{9F}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{202A}",
                                              "\u{202E}", "\u{2066}", "\u{2069}"]

    @Test(arguments: forbidden) func controlAndBidiCharactersAreRefused(_ scalar: Unicode.Scalar) throws {
        let path = "ops/a\(Character(scalar))b.md"
        let problem = try #require(DocumentPath.problem(path))
        #expect(problem.contains(DocumentPath.code(scalar)) && problem.contains("at character 6"))
        #expect(!problem.unicodeScalars.contains(where: DocumentPath.isForbidden), "the message is safe to print")
        #expect(DocumentPath.escaped(path).hasPrefix("ops/a\\u{"))
    }

    @Test func ordinaryPathsPass() {
        for path in ["ops/disk-full.md", "équipe/ログ/runbook.md", "a b/c (1).md", "emoji-🚀.md", "zwj\u{200D}.md"] {
            #expect(DocumentPath.problem(path) == nil, "\(path)")
            #expect(DocumentPath.escaped(path) == path)
        }
        #expect(DocumentPath.escaped("a\u{1B}[31mred\u{202E}") == "a\\u{1B}[31mred\\u{202E}")
    }

    @Test func ingestReportsAndSkipsSuchAFileAndStoresTheOthers() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("r")
        try writeFiles(["good.md": "# Good\nText.", "evil\u{202E}dm.exe.md": "# Evil\nText.",
                        "esc\u{1B}[2J.md": "# Esc\nText."], under: root)
        let catalog = try makeCatalog(in: directory)
        let ingester = Ingester(catalog: catalog, embedder: FakeEmbeddingClient(), chunker: Chunker(),
                                logger: quietLogger)
        let (files, _) = try SourceDiscovery.discover([root.path])
        let summary = try await ingester.ingest(files)
        #expect(summary.added == 1 && summary.skipped == 2)
        #expect(summary.problems.count == 2 && summary.problems.allSatisfy { $0.contains("Rename it") })
        #expect(!summary.problems.joined().unicodeScalars.contains(where: DocumentPath.isForbidden))
        #expect(try catalog.store.documents(path: "good.md").count == 1)

        await #expect(throws: StoreError.self) {
            _ = try await ingester.add(path: "api\u{1B}.md", content: "# X\nY.", format: .markdown)
        }
    }

    @Test func syncReportsAndSkipsSuchAFile() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("r")
        try writeFiles(["good.md": "# Good\nText.", "bad\u{2066}.md": "# Bad\nText."], under: root)
        let catalog = try makeCatalog(in: directory)
        let syncer = Syncer(catalog: catalog, embedder: FakeEmbeddingClient(), chunker: Chunker(), logger: quietLogger)
        let report = try await syncer.sync(root.path)
        #expect(report.added == ["good.md"])
        #expect(report.skipped.map(\.path) == ["bad\\u{2066}.md"])
        #expect(report.skipped.first?.reason.contains("U+2066") == true)
    }
}
