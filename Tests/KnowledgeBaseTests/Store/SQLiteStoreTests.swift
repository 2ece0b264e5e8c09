import Foundation
import Synchronization
import Testing
@testable import KnowledgeBase

struct SQLiteStoreTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    func document(_ path: String, texts: [String], sha: String = "sha") -> DocumentWrite {
        let chunks = texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: ["T", "S\($0.offset)"], text: $0.element, firstLine: $0.offset + 1,
                  lastLine: $0.offset + 1, tokens: 3)
        }
        return DocumentWrite(path: path, title: "T", format: .markdown, sha256: sha, size: 10, chunker: "c",
                             chunks: chunks, vectors: texts.map { _ in [1, 0, 0] })
    }

    @Test func writesReadsAndReplacesDocuments() throws {
        let store = try SQLiteStore(path: ":memory:")
        let first = try store.write(document("a.md", texts: ["one", "two"]), fingerprint: fingerprint)
        #expect(first.status == .created)
        #expect(try store.fingerprint() == fingerprint)
        let second = try store.write(document("a.md", texts: ["three"], sha: "sha2"), fingerprint: fingerprint)
        #expect(second.status == .replaced)
        #expect(second.id == first.id)
        let chunks = try store.chunks(documentID: first.id)
        #expect(chunks.map(\.text) == ["three"])
        #expect(chunks[0].heading == "T › S0")
        #expect(try store.document(path: "a.md")?.sha256 == "sha2")
        let stats = try store.stats()
        #expect(stats.documents == 1 && stats.chunks == 1 && stats.vectors == 1)
        #expect(stats.cachedEmbeddings == 3, "the cache keeps vectors of replaced chunks for reuse")
    }

    /// Queries read on connections of their own: a write in progress neither blocks them nor shows them its
    /// uncommitted rows, and what it commits is seen by the next read.
    @Test func readsRunBesideAWriteAndSeeOnlyWhatIsCommitted() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("kb.sqlite").path)
        let written = try store.write(document("a.md", texts: ["one", "two"]), fingerprint: fingerprint)
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let released = Mutex<DispatchTimeoutResult?>(nil)
        let writer = Thread {
            try? store.writeTransaction { connection in
                try connection.execute("UPDATE documents SET title = 'New' WHERE id = \(written.id)")
                inside.signal()
                // Without reader connections the reads below would wait for this transaction, which waits for them.
                let result = release.wait(timeout: .now() + 30)
                released.withLock { $0 = result }
            }
            inside.signal()
        }
        writer.start()
        inside.wait()
        #expect(try store.document(path: "a.md")?.title == "T", "the write in progress is not visible")
        #expect(try store.chunks(documentID: written.id).count == 2)
        #expect(try store.keywordSearch("two", limit: 5).map(\.documentID) == [written.id])
        release.signal()
        inside.wait()
        #expect(released.withLock { $0 } == .success, "the reads did not wait for the write")
        #expect(try store.document(path: "a.md")?.title == "New", "a committed write is seen by the next read")
    }

    @Test func removingADocumentRemovesItsChunksAndVectors() throws {
        let store = try SQLiteStore(path: ":memory:")
        let written = try store.write(document("a.md", texts: ["one", "two"]), fingerprint: fingerprint)
        #expect(try store.removeDocument(id: written.id))
        #expect(try !store.removeDocument(id: written.id))
        let stats = try store.stats()
        #expect(stats.documents == 0 && stats.chunks == 0 && stats.vectors == 0)
    }

    @Test func aFailureMidDocumentLeavesTheOldVersionIntact() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        let store = try SQLiteStore(path: path)
        _ = try store.write(document("a.md", texts: ["old one", "old two"]), fingerprint: fingerprint)
        // Inject a failure at the third chunk of the new version, after two chunks were already inserted.
        try store.withConnection { try $0.execute("""
            CREATE TRIGGER fail_third BEFORE INSERT ON chunks WHEN NEW.ordinal = 2
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
            """) }
        #expect(throws: StoreError.self) {
            try store.write(document("a.md", texts: ["new one", "new two", "new three"], sha: "new"), fingerprint: fingerprint)
        }
        // A wrong-sized vector in the middle fails the same way.
        var bad = document("a.md", texts: ["x", "y"], sha: "bad")
        bad.vectors[1] = [1, 0]
        #expect(throws: IndexError.self) { try store.write(bad, fingerprint: fingerprint) }

        let reopened = try SQLiteStore(path: path)
        let record = try #require(try reopened.document(path: "a.md"))
        #expect(record.sha256 == "sha")
        #expect(try reopened.chunks(documentID: record.id).map(\.text) == ["old one", "old two"])
        #expect(try reopened.stats().vectors == 2)
    }

    @Test func writingWithAnotherEmbedderIsRefused() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try store.write(document("a.md", texts: ["one"]), fingerprint: fingerprint)
        let other = EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 3)
        #expect {
            try store.write(document("b.md", texts: ["two"]), fingerprint: other)
        } throws: { error in
            let text = "\(error)"
            return text.contains("hash") && text.contains("all-minilm") && text.contains("kb reindex")
        }
        #expect(try store.document(path: "b.md") == nil)
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("notes.sqlite")
        let content = Data("# my notes\nnot a database at all\n".utf8)
        try content.write(to: url)
        #expect { try SQLiteStore(path: url.path) } throws: { "\($0)".contains("not an SQLite database") }
        #expect(try Data(contentsOf: url) == content)
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("other.sqlite").path
        do {
            let connection = try SQLiteConnection(path: path)
            try connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect { try SQLiteStore(path: path) } throws: { "\($0)".contains("not a kb knowledge base (it holds tables: invoices)") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test func aNewerSchemaIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            try store.withConnection { try $0.execute("PRAGMA journal_mode = DELETE; PRAGMA user_version = 99") }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect { try SQLiteStore(path: path) } throws: { "\($0)".contains("schema version 99") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func opensAnExistingKnowledgeBaseWithoutMigratingAgain() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        _ = try SQLiteStore(path: path).write(document("a.md", texts: ["one"]), fingerprint: fingerprint)
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.stats().schemaVersion == Schema.currentVersion)
        #expect(try reopened.documents().map(\.path) == ["a.md"])
        #expect(try reopened.withConnection { try SQLiteStore.scalar($0, "PRAGMA foreign_keys") } == 1)
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(String(repeating: "a", count: 1_000))
            == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
