import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

/// Two catalogs on one file behave as two processes: each has its own connection and its own index.
struct CatalogFollowTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    func document(_ path: String, _ texts: [String], vector: [Float] = [1, 0, 0]) -> DocumentWrite {
        let chunks = texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: ["T"], text: $0.element, firstLine: 1, lastLine: 1, tokens: 1)
        }
        return DocumentWrite(path: path, title: "T", format: .markdown, sha256: UUID().uuidString, size: 1,
                             chunker: "c", chunks: chunks, vectors: texts.map { _ in vector })
    }

    func pair(_ directory: URL, retention: Int = 1000) throws -> (writer: Catalog, reader: Catalog) {
        let path = directory.appendingPathComponent("kb.sqlite").path
        return (Catalog(store: try SQLiteStore(path: path, changeRetention: retention), logger: quietLogger),
                Catalog(store: try SQLiteStore(path: path, changeRetention: retention), logger: quietLogger))
    }

    func chunkIDs(_ catalog: Catalog) -> Set<Int64> {
        catalog.read { index in Set(((try? index?.search([1, 0, 0], k: 1000)) ?? []).map(\.chunkID)) }
    }

    @Test func aLoadedIndexFollowsAnotherProcessesAddReplaceAndRemove() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (writer, reader) = try pair(directory)
        #expect(try reader.loadIndex() == nil, "empty knowledge base")
        let a = try writer.commit(document("a.md", ["one", "two"]), fingerprint: fingerprint)
        #expect(try reader.refresh())
        #expect(chunkIDs(reader) == Set(a.rows.map(\.chunkID)), "the first write sets the fingerprint: a full load")
        #expect(reader.sequence == (try writer.store.latestSequence()))
        #expect(try !reader.refresh(), "nothing new: nothing applied")

        let replaced = try writer.commit(document("a.md", ["three"]), fingerprint: fingerprint)
        let b = try writer.commit(document("b.md", ["four"]), fingerprint: fingerprint)
        #expect(try reader.refresh())
        #expect(chunkIDs(reader) == Set((replaced.rows + b.rows).map(\.chunkID)))

        try writer.remove(documentID: a.id)
        #expect(try reader.refresh())
        #expect(chunkIDs(reader) == Set(b.rows.map(\.chunkID)))
        #expect(try reader.lagSeconds() == 0)
    }

    @Test func aReindexSwapsInTheNewIndexBuiltBesideTheOld() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (writer, reader) = try pair(directory)
        _ = try writer.commit(document("a.md", ["one", "two"]), fingerprint: fingerprint)
        _ = try reader.loadIndex()
        #expect(try reader.loadedIndex().fingerprint == fingerprint)
        let summary = try await Reindexer(catalog: writer, embedder: HashEmbedder(dimension: 8), logger: quietLogger)
            .reindex()
        #expect(summary.switched)
        #expect(try reader.refresh())
        let state = try reader.loadedIndex()
        #expect(state.fingerprint?.dimension == 8 && state.index?.dimension == 8 && state.index?.count == 2)
        #expect(try writer.loadedIndex().fingerprint?.dimension == 8, "the reindexing process follows its own switch")
    }

    @Test func aReaderThatFellBehindThePrunedFeedReloads() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (writer, reader) = try pair(directory, retention: 0)
        let a = try writer.commit(document("a.md", ["one"]), fingerprint: fingerprint)
        _ = try reader.loadIndex()
        // The reader never reports its position, so nothing holds the feed back.
        try writer.remove(documentID: a.id)
        let b = try writer.commit(document("b.md", ["two"]), fingerprint: fingerprint)
        let c = try writer.commit(document("c.md", ["three"]), fingerprint: fingerprint)
        #expect(try !writer.store.changes(after: reader.sequence!).complete)
        #expect(try reader.refresh())
        #expect(chunkIDs(reader) == Set((b.rows + c.rows).map(\.chunkID)))
    }

    @Test func theBackgroundFollowerAppliesWritesAndReportsItsPosition() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (writer, reader) = try pair(directory)
        _ = try writer.commit(document("a.md", ["one"]), fingerprint: fingerprint)
        let follower = Task { await reader.follow(every: .milliseconds(5)) }
        defer { follower.cancel() }
        let b = try writer.commit(document("b.md", ["two"]), fingerprint: fingerprint)
        try await eventually("the follower applies b.md") { chunkIDs(reader).contains(b.rows[0].chunkID) }
        try await eventually("the follower reports its position") {
            try writer.sqlite.withConnection { try SQLiteStore.scalar($0, "SELECT count(*) FROM readers") } == 1
        }
        follower.cancel()
        _ = await follower.value
        #expect(try writer.sqlite.withConnection { try SQLiteStore.scalar($0, "SELECT count(*) FROM readers") } == 0,
                "a follower that stops leaves the readers table")
    }

    @Test func aQueryDuringReplacementsNeverMixesTwoVersionsOfADocument() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        let embedder = HashEmbedder()
        let writer = Catalog(store: try SQLiteStore(path: path), logger: quietLogger)
        let ingester = Ingester(catalog: writer, embedder: embedder, chunker: Chunker(), logger: quietLogger)
        func version(_ n: Int) -> String {
            "# Disk full\n\n## Diagnosis\n\nversion\(n) check disk usage with df.\n\n## Mitigation\n\nversion\(n) "
                + "delete old logs to free disk space.\n\n## Escalation\n\nversion\(n) page the storage team about disk.\n"
        }
        _ = try await ingester.add(path: "disk.md", content: version(0), format: .markdown)
        let reader = Catalog(store: try SQLiteStore(path: path), logger: quietLogger)
        let engine = QueryEngine(catalog: reader, embedder: embedder, logger: quietLogger)
        let follower = Task { await reader.follow(every: .milliseconds(1)) }
        defer { follower.cancel() }
        let writes = Task {
            for n in 1...60 { _ = try await ingester.add(path: "disk.md", content: version(n), format: .markdown) }
        }
        var checked = 0
        for mode in [SearchMode.hybrid, .vector, .keyword] {
            for _ in 0..<40 {
                let result = try await engine.query("disk full version delete logs", options: QueryOptions(
                    k: 10, minScore: -1, mode: mode, refusal: .minScore))
                let versions = Set(result.results.compactMap { hit in
                    hit.text.split(separator: " ").first { $0.hasPrefix("version") }
                })
                #expect(versions.count <= 1, "\(mode): one query saw \(versions.sorted())")
                checked += result.results.count
            }
        }
        try await writes.value
        #expect(checked > 0)
    }
}

/// Polls `condition` until it holds or the deadline passes (for work another thread or process does).
func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    // Checked once more: on a loaded machine this task may have been waiting for a thread past the deadline.
    if try await condition() { return }
    Issue.record("timed out waiting: \(what)")
}
