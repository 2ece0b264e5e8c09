import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

struct ChangeFeedTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    func document(_ path: String, texts: [String], source: String = DocumentSource.ingest, sha: String = UUID().uuidString)
        -> DocumentWrite
    {
        let chunks = texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: ["T"], text: $0.element, firstLine: 1, lastLine: 1, tokens: 1)
        }
        return DocumentWrite(source: source, path: path, title: "T", format: .markdown, sha256: sha, size: 1,
                             chunker: "c", chunks: chunks, vectors: texts.map { _ in [1, 0, 0] })
    }

    func kinds(_ store: SQLiteStore, after sequence: Int64 = 0) throws -> [String] {
        try store.changes(after: sequence).changes.map { "\($0.kind.rawValue)\($0.documentID.map { " \($0)" } ?? "")" }
    }

    @Test func everyWriteAppendsToTheFeedInItsTransaction() throws {
        let store = try SQLiteStore(path: ":memory:")
        let a = try store.write(document("a.md", texts: ["one"]), fingerprint: fingerprint)
        _ = try store.write(document("a.md", texts: ["two"]), fingerprint: fingerprint)
        let b = try store.write(document("b.md", texts: ["three"]), fingerprint: fingerprint)
        try store.removeDocument(id: a.id)
        #expect(try kinds(store) == ["fingerprint", "added \(a.id)", "replaced \(a.id)", "added \(b.id)", "removed \(a.id)"])
        let sequences = try store.changes(after: 0).changes.map(\.sequence)
        #expect(sequences == sequences.sorted() && Set(sequences).count == 5)
        #expect(try store.latestSequence() == sequences.last)

        // A write that fails changes nothing, the feed included.
        let before = try store.latestSequence()
        var bad = document("c.md", texts: ["x"])
        bad.vectors = [[1, 0]]
        #expect(throws: IndexError.self) { try store.write(bad, fingerprint: fingerprint) }
        #expect(try store.latestSequence() == before)
        #expect(try store.document(path: "c.md") == nil)
    }

    @Test func aReindexSwitchIsOnTheFeedButStagedVectorsAreNot() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try store.write(document("a.md", texts: ["one"]), fingerprint: fingerprint)
        let start = try store.latestSequence()
        let other = EmbeddingFingerprint(embedder: "hash", model: "hash-v2", dimension: 3)
        let todo = try store.chunksWithoutVector(fingerprintKey: other.key)
        try store.storeVectors(todo.map { ($0, [0, 1, 0]) }, fingerprintKey: other.key)
        #expect(try kinds(store, after: start).isEmpty, "vectors of another fingerprint are seen by no index")
        try store.switchFingerprint(to: other)
        #expect(try kinds(store, after: start) == ["fingerprint"])
    }

    @Test func writesThatBypassTheStoreAPIStillReachTheFeed() throws {
        let store = try SQLiteStore(path: ":memory:")
        let a = try store.write(document("a.md", texts: ["one"]), fingerprint: fingerprint)
        let start = try store.latestSequence()
        try store.withConnection { try $0.execute("DELETE FROM documents WHERE id = \(a.id)") }
        #expect(try kinds(store, after: start) == ["removed \(a.id)"])
    }

    @Test func theFeedIsPrunedBehindTheSlowestLiveReader() throws {
        let store = try SQLiteStore(path: ":memory:", changeRetention: 2)
        for n in 0..<5 { _ = try store.write(document("d\(n).md", texts: ["t"]), fingerprint: fingerprint) }
        // Six changes (the fingerprint and five documents); with no reader only the newest two are kept.
        #expect(try store.changes(after: 0).changes.map(\.sequence) == [5, 6])
        #expect(try !store.changes(after: 3).complete, "changes 4 and later were partly pruned: a reader at 3 reloads")
        #expect(try store.changes(after: 4).complete)

        try store.recordReader("slow", sequence: 6)
        try store.recordReader("slower", sequence: 5)
        for n in 5..<9 { _ = try store.write(document("d\(n).md", texts: ["t"]), fingerprint: fingerprint) }
        #expect(try store.changes(after: 5).complete, "the slowest reader still finds everything it has not applied")
        #expect(try store.changes(after: 0).changes.first?.sequence == 6)

        // A reader silent for longer than the timeout is forgotten; one that leaves is removed at once.
        try store.withConnection { try $0.execute("UPDATE readers SET seen_ms = 0 WHERE id = 'slower'") }
        try store.recordReader("slow", sequence: nil)
        _ = try store.write(document("d9.md", texts: ["t"]), fingerprint: fingerprint)
        #expect(try store.changes(after: 0).changes.map(\.sequence) == [10, 11])
    }

    @Test func theLatestSequenceSurvivesPruningEverything() throws {
        let store = try SQLiteStore(path: ":memory:", changeRetention: 0)
        for n in 0..<3 { _ = try store.write(document("d\(n).md", texts: ["t"]), fingerprint: fingerprint) }
        #expect(try store.changes(after: 0).changes.isEmpty)
        #expect(try store.latestSequence() == 4)
        #expect(try store.changes(after: 4).complete, "a reader at the newest change has missed nothing")
        #expect(try !store.changes(after: 3).complete)
    }

    @Test func aSourceNameIsClaimedOnceForOneFolder() throws {
        let store = try SQLiteStore(path: ":memory:")
        try store.claimSource(name: "runbooks", root: "/srv/runbooks", kind: "folder")
        try store.claimSource(name: "runbooks", root: "/srv/runbooks", kind: "folder")
        #expect { try store.claimSource(name: "runbooks", root: "/home/me/runbooks", kind: "folder") } throws: {
            "\($0)".contains("is synced from /srv/runbooks")
        }
        #expect { try store.claimSource(name: "team-a", root: "/srv/runbooks/team-a", kind: "folder") } throws: {
            "\($0)".contains("overlaps source runbooks")
        }
        try store.claimSource(name: "other", root: "/srv/runbooks-other", kind: "git")
        #expect(try store.sources().map(\.name) == ["other", "runbooks"])
    }

    @Test func documentRowsAreOneCommittedVersion() throws {
        let store = try SQLiteStore(path: ":memory:")
        let a = try store.write(document("a.md", texts: ["one", "two"]), fingerprint: fingerprint)
        let rows = try store.documentRows(a.id, fingerprintKey: fingerprint.key, dimension: 3)
        #expect(rows.path == "a.md" && rows.rows.map(\.chunkID) == a.rows.map(\.chunkID))
        try store.removeDocument(id: a.id)
        let gone = try store.documentRows(a.id, fingerprintKey: fingerprint.key, dimension: 3)
        #expect(gone.path == nil && gone.rows.isEmpty)
    }

    @Test func aPathIsUniqueWithinItsSourceOnly() throws {
        let store = try SQLiteStore(path: ":memory:")
        let team = try store.write(document("README.md", texts: ["team a"], source: "team-a"), fingerprint: fingerprint)
        let other = try store.write(document("README.md", texts: ["team b"], source: "team-b"), fingerprint: fingerprint)
        #expect(team.id != other.id && team.status == .created && other.status == .created)
        #expect(try store.document(path: "README.md", source: "team-b")?.id == other.id)
        #expect(try store.documents(path: "README.md").map(\.source) == ["team-a", "team-b"])
        #expect(try store.documents(source: "team-a").map(\.id) == [team.id])
        #expect(try store.documentCount(source: "team-b") == 1 && store.documentCount() == 2)
    }

    @Test func aVersion3FileUpgradesWithItsDocumentsInTheIngestSource() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        let written: WrittenDocument
        let deleted: WrittenDocument
        do {
            let store = try SQLiteStore(path: path)
            written = try store.write(document("a.md", texts: ["one", "two"]), fingerprint: fingerprint)
            deleted = try store.write(document("gone.md", texts: ["x"]), fingerprint: fingerprint)
            try store.removeDocument(id: deleted.id)
            try store.withConnection { try downgradeToVersion3($0) }
        }
        let upgraded = try SQLiteStore(path: path)
        #expect(try upgraded.stats().schemaVersion == Schema.currentVersion)
        let record = try #require(try upgraded.document(path: "a.md"))
        #expect(record.id == written.id && record.source == DocumentSource.ingest && record.chunkCount == 2)
        // Ids are never handed out twice, across the rebuild too (a client may still hold the deleted one's id).
        let next = try upgraded.write(document("new.md", texts: ["y"]), fingerprint: fingerprint)
        #expect(next.id > deleted.id)
        // Foreign keys survived the rebuild: removing the document still removes its chunks and vectors.
        try upgraded.removeDocument(id: record.id)
        let stats = try upgraded.stats()
        #expect(stats.chunks == 1 && stats.vectors == 1)
    }

    @Test func aMissingFileIsAnErrorForCommandsThatOnlyRead() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("typo.sqlite").path
        #expect { try SQLiteStore(path: path, create: false) } throws: {
            "\($0)".contains("no knowledge base at \(path)") && "\($0)".contains("--db")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func twoProcessesCreatingOneFileAtOnceBothSucceed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        let group = DispatchGroup()
        let failures = Mutex<[String]>([])
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                do { _ = try SQLiteStore(path: path).stats() } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        group.wait()
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try SQLiteStore(path: path).stats().schemaVersion == Schema.currentVersion)
    }
}
