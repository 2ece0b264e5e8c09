import Foundation
import Testing
@testable import KnowledgeBase

struct MetadataFilterTests {
    /// Six runbooks about disks: the postgres ones say less about disks than the others, so without the filter they
    /// rank below; with it, they are all there is, whatever k.
    func catalog(_ directory: URL) async throws -> Catalog {
        let catalog = try makeCatalog(in: directory)
        let ingester = Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
        for n in 0..<4 {
            _ = try await ingester.add(path: "generic-\(n).md", content: """
                ---
                service: nginx
                tags: [disk, web]
                ---
                # Disk full \(n)
                The disk is full: free disk space, rotate logs, check the disk usage of the disk.
                """, format: .markdown, source: "runbooks")
        }
        for n in 0..<2 {
            _ = try await ingester.add(path: "postgres-\(n).md", content: """
                ---
                service: postgres
                severity: 2
                tags:
                  - database
                  - disk
                owner: "dba team"
                ---
                # Postgres WAL volume \(n)
                The WAL volume of the database fills the disk; archive WAL segments.
                """, format: .markdown, source: "runbooks")
        }
        return catalog
    }

    @Test func frontMatterIsStoredAsMetadataAndLeftOutOfTheText() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try await catalog(directory)
        let record = try #require(try catalog.store.document(path: "postgres-0.md"))
        let metadata = FrontMatter.parseJSON(record.metadata)
        #expect(metadata["service"] == .string("postgres") && metadata["owner"] == .string("dba team"))
        #expect(metadata["tags"] == .list([.string("database"), .string("disk")]))
        let chunks = try catalog.store.chunks(documentID: record.id)
        #expect(!chunks.contains { $0.text.contains("service:") })
        #expect(chunks.first?.firstLine == 10, "line numbers are the file's (the text starts on line 10), front matter included")
    }

    @Test func aFilterAppliesInsideTheSearchNotAfterTheTopK() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = QueryEngine(catalog: try await catalog(directory), embedder: HashEmbedder(), logger: quietLogger)
        for mode in SearchMode.allCases {
            var options = QueryOptions(k: 1, minScore: -1, mode: mode, refusal: .minScore)
            let unfiltered = try await engine.query("disk full free disk space", options: options)
            #expect(unfiltered.results.first?.path.hasPrefix("generic") == true, "\(mode)")
            // Two postgres runbooks match and k is 1: a filter applied after the top-k cut would find none.
            options.filters = [MetadataFilter(key: "service", value: "postgres")]
            let filtered = try await engine.query("disk full free disk space", options: options)
            #expect(filtered.results.count == 1 && filtered.results[0].path.hasPrefix("postgres"), "\(mode)")
            #expect(filtered.results.first?.metadata?["service"] == .string("postgres"))
            #expect(filtered.results.first?.source == "runbooks")
        }
        var options = QueryOptions(k: 10, minScore: -1, mode: .hybrid, refusal: .minScore)
        options.filters = [MetadataFilter(key: "tags", value: "database")]  // membership in a list
        #expect(try await engine.query("disk", options: options).results.allSatisfy { $0.path.hasPrefix("postgres") })
        options.filters = [MetadataFilter(key: "severity", value: "2"), MetadataFilter(key: "tags", value: "web")]
        #expect(try await engine.query("disk", options: options).results.isEmpty, "every condition must hold")
        options.filters = [MetadataFilter(key: "severity", value: "2")]
        // Both postgres runbooks match (numbers as written); their chunk texts are the same, so one result lists
        // the other as a copy.
        let severe = try await engine.query("disk", options: options).results
        #expect(severe.count == 1 && severe[0].alsoIn?.count == 1, "numbers match as written")
        options.filters = [MetadataFilter(key: #"odd"key"#, value: "x")]
        #expect(try await engine.query("disk", options: options).results.isEmpty, "any key is a plain lookup")
    }

    @Test func malformedFrontMatterIsRejectedWithItsLine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let ingester = Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger)
        await #expect {
            try await ingester.add(path: "bad.md", content: "---\nowner sre\n---\n# Bad\n", format: .markdown)
        } throws: { "\($0)".contains("bad.md") && "\($0)".contains("line 2") }
        #expect(try catalog.store.documentCount() == 0)
        #expect(throws: (any Error).self) { try MetadataFilter(parsing: "no-equals-sign") }
        #expect(try MetadataFilter(parsing: "url=a=b") == MetadataFilter(key: "url", value: "a=b"))
    }
}
