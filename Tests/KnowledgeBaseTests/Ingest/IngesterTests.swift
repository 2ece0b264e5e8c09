import Foundation
import Testing
@testable import KnowledgeBase

struct IngesterTests {
    let runbooks = [
        "alerts/disk-full.md": "# Disk full\n## Diagnosis\nRun df -h to see which filesystem is full.\n## Fix\nDelete old logs.",
        "alerts/cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.",
        "notes/handover.txt": "On-call handover happens on Mondays.\n\nWrite down open incidents.",
    ]

    func ingest(_ directory: URL, into catalog: Catalog, client: any EmbeddingClient, prune: Bool = false) async throws
        -> IngestSummary
    {
        let (files, _) = try SourceDiscovery.discover([directory.path])
        return try await Ingester(catalog: catalog, embedder: client, chunker: Chunker(), logger: quietLogger)
            .ingest(files, prune: prune)
    }

    @Test func ingestsStoresRelativePathsAndReingestsUnchangedFilesForFree() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("runbooks")
        try writeFiles(runbooks, under: root)
        let catalog = try makeCatalog(in: directory)
        let client = FakeEmbeddingClient()
        let first = try await ingest(root, into: catalog, client: client)
        #expect(first.added == 3 && first.failed == 0)
        #expect(first.chunks == 4, "two sections, one section, and one packed text file")
        #expect(try catalog.store.documents().map(\.path) == ["alerts/cert-expiry.md", "alerts/disk-full.md",
                                                               "notes/handover.txt"])
        let calls = client.batches.count

        let second = try await ingest(root, into: catalog, client: client)
        #expect(second.unchanged == 3 && second.added == 0 && second.updated == 0)
        #expect(second.embeddingRequests == 0)
        #expect(client.batches.count == calls, "re-ingesting unchanged files makes zero embedding requests")
    }

    @Test func anEditedFileReembedsOnlyItsChangedChunks() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(runbooks, under: directory)
        let catalog = try makeCatalog(in: directory)
        let client = FakeEmbeddingClient()
        _ = try await ingest(directory, into: catalog, client: client)
        try writeFiles(["alerts/disk-full.md": "# Disk full\n## Diagnosis\nRun df -h to see which filesystem is full.\n"
                        + "## Fix\nDelete old logs, then compress the rest."], under: directory)
        let before = client.textCount
        let summary = try await ingest(directory, into: catalog, client: client)
        #expect(summary.updated == 1 && summary.unchanged == 2)
        #expect(summary.embeddedChunks == 1 && summary.cachedChunks == 1)
        #expect(client.textCount - before == 1, "only the edited section was embedded")
        let record = try #require(try catalog.store.document(path: "alerts/disk-full.md"))
        #expect(try catalog.store.chunks(documentID: record.id).last?.text == "Delete old logs, then compress the rest.")
    }

    @Test func aPoisonedChunkFailsItsDocumentOnlyAndKeepsTheOldVersion() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(runbooks, under: directory)
        let catalog = try makeCatalog(in: directory)
        _ = try await ingest(directory, into: catalog, client: FakeEmbeddingClient())
        try writeFiles([
            "alerts/disk-full.md": "# Disk full\n## Diagnosis\nPOISON\n## Fix\nDelete old logs.",
            "alerts/new.md": "# New runbook\nFresh text.",
        ], under: directory)
        let summary = try await ingest(directory, into: catalog, client: FakeEmbeddingClient(batchSize: 8))
        #expect(summary.failed == 1 && summary.added == 1)
        #expect(summary.problems.count == 1)
        #expect(summary.problems[0].contains("alerts/disk-full.md › Disk full › Diagnosis"))
        #expect(summary.problems[0].contains("lines 3–3"))
        let record = try #require(try catalog.store.document(path: "alerts/disk-full.md"))
        #expect(try catalog.store.chunks(documentID: record.id).first?.text == "Run df -h to see which filesystem is full.")
        #expect(try catalog.store.document(path: "alerts/new.md") != nil)
    }

    @Test func binaryAndNonUTF8FilesAreSkippedWithTheirNames() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["good.md": "# Good\ntext"], under: directory)
        try Data([0x23, 0x20, 0x00, 0x01, 0x02]).write(to: directory.appendingPathComponent("binary.md"))
        try Data([0x23, 0x20, 0xE9, 0x74, 0xE9]).write(to: directory.appendingPathComponent("latin1.txt"))
        let catalog = try makeCatalog(in: directory)
        let summary = try await ingest(directory, into: catalog, client: FakeEmbeddingClient())
        #expect(summary.added == 1 && summary.skipped == 2)
        #expect(summary.problems.contains { $0.contains("binary.md") && $0.contains("binary") })
        #expect(summary.problems.contains { $0.contains("latin1.txt") && $0.contains("UTF-8") })
    }

    @Test func pruneRemovesDocumentsWhoseFilesAreGone() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(runbooks, under: directory)
        let catalog = try makeCatalog(in: directory)
        _ = try await ingest(directory, into: catalog, client: FakeEmbeddingClient())
        try FileManager.default.removeItem(at: directory.appendingPathComponent("notes/handover.txt"))
        let kept = try await ingest(directory, into: catalog, client: FakeEmbeddingClient())
        let stored = try catalog.store.documents().count
        #expect(kept.removed == 0 && stored == 3, "without --prune nothing is removed")
        let pruned = try await ingest(directory, into: catalog, client: FakeEmbeddingClient(), prune: true)
        #expect(pruned.removed == 1)
        #expect(try catalog.store.document(path: "notes/handover.txt") == nil)
    }

    @Test func ingestingWithAnotherEmbedderIsRefusedBeforeAnyWork() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(runbooks, under: directory)
        let catalog = try makeCatalog(in: directory)
        _ = try await ingest(directory, into: catalog, client: FakeEmbeddingClient())
        let other = FakeEmbeddingClient(kind: "ollama", model: "all-minilm")
        await #expect(throws: QueryError.self) { try await ingest(directory, into: catalog, client: other) }
        #expect(other.batches.isEmpty)
    }

    @Test func aFatalEmbedderErrorStopsTheRunAndKeepsWhatWasCommitted() async throws {
        final class DownAfterProbe: EmbeddingClient {
            let kind = "hash", model = "hash-v1", contextTokens = 512, preferredBatchSize = 1, maxConcurrentRequests = 1
            let calls = Atomic<Int>(0)
            func embed(_ texts: [String]) async throws -> [[Float]] {
                // The probe and the first two chunks succeed, then the server "goes away".
                if calls.add(1, ordering: .relaxed).newValue > 3 {
                    throw EmbeddingError.unreachable(host: "http://127.0.0.1:1", reason: "connection refused")
                }
                return texts.map { _ in [1, 0, 0] }
            }
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(runbooks, under: directory)
        let catalog = try makeCatalog(in: directory)
        let summary = try await ingest(directory, into: catalog, client: DownAfterProbe())
        #expect(summary.abortedBecause?.contains("cannot reach Ollama") == true)
        #expect(summary.added == 1, "the first document (one chunk) was committed before the failure")
        #expect(try catalog.store.documents().count == 1)
    }
}

import Synchronization
