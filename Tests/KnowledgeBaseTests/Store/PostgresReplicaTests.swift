import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import KnowledgeBase

/// Replicas on one PostgreSQL database: each keeps its own index and follows the others' writes.
@Suite(.enabled(if: PostgresTestDatabase.url != nil, PostgresTestDatabase.skipNote))
struct PostgresReplicaTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    func document(_ path: String, _ texts: [String], vector: [Float] = [1, 0, 0]) -> DocumentWrite {
        let chunks = texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: ["T"], text: $0.element, firstLine: 1, lastLine: 1, tokens: 1)
        }
        return DocumentWrite(path: path, title: "T", format: .markdown, sha256: UUID().uuidString, size: 1,
                             chunker: "c", chunks: chunks, vectors: texts.map { _ in vector })
    }

    func chunkIDs(_ catalog: Catalog) -> Set<Int64> {
        catalog.read { index in Set(((try? index?.search([1, 0, 0], k: 1000)) ?? []).map(\.chunkID)) }
    }

    @Test func aWriteOnOneReplicaReachesTheOthersIncludingDeletesAndAReindex() async throws {
        let url = PostgresTestDatabase.freshURL()
        defer { PostgresTestDatabase.drop(url) }
        let a = Catalog(store: try PostgresStore(url: url), logger: quietLogger)
        let b = Catalog(store: try PostgresStore(url: url), logger: quietLogger)
        let first = try a.commit(document("disk.md", ["rotate the logs", "check df"]), fingerprint: fingerprint)
        let following = Task { await b.follow(every: .milliseconds(20)) }
        defer { following.cancel() }
        try await eventually("B loads what A wrote") { chunkIDs(b) == Set(first.rows.map(\.chunkID)) }

        let replaced = try a.commit(document("disk.md", ["rotate with logrotate"]), fingerprint: fingerprint)
        let other = try a.commit(document("dns.md", ["flush the cache"]), fingerprint: fingerprint)
        try await eventually("B follows the replacement") {
            chunkIDs(b) == Set((replaced.rows + other.rows).map(\.chunkID))
        }
        try a.remove(documentID: other.id)
        try await eventually("B follows the delete") { chunkIDs(b) == Set(replaced.rows.map(\.chunkID)) }
        try await eventually("B is no longer behind") { try b.lagSeconds() == 0 && b.sequence == a.store.latestSequence() }

        let summary = try await Reindexer(catalog: a, embedder: HashEmbedder(dimension: 8), logger: quietLogger).reindex()
        #expect(summary.switched)
        try await eventually("B swaps in the reindexed vectors") { try b.loadedIndex().fingerprint?.dimension == 8 }
        #expect(try b.loadedIndex().index?.count == 1)
    }

    /// A writer killed with SIGKILL in the middle of replacing a document (its new chunks written, the document row
    /// not yet) leaves the old version, and a following replica never sees any of the new one.
    @Test func aWriterKilledInTheMiddleOfADocumentLeavesTheOldVersion() async throws {
        let url = PostgresTestDatabase.freshURL()
        defer { PostgresTestDatabase.drop(url) }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("r")
        try writeFiles(["disk.md": "# Disk\n## Fix\nRotate the logs with logrotate."], under: root)
        #expect(try CLITests().kb(["ingest", root.path], store: url).status == 0)
        let replica = Catalog(store: try PostgresStore(url: url), logger: quietLogger)
        let before = try replica.loadedIndex()
        let oldChunks = try replica.store.chunks(documentID: try #require(try replica.store.document(path: "disk.md")).id)

        // The test holds this schema's feed lock, so the writer stops at its last statement, with its new chunks
        // written. Anything else in the database (other tests' schemas) is free to go on.
        let schema = try PostgresURL(url).schema
        let lock = try PostgresTestDatabase.connection(url)
        try lock.query("SELECT pg_advisory_lock(\(PostgresSchema.feedLock), hashtext($1))", [.text(schema)])
        try writeFiles(["disk.md": "# Disk\n## Fix\nHALFWRITTEN one.\n## Check\nHALFWRITTEN two.\n## Escalate\nHALFWRITTEN three."],
                       under: root)
        let writer = Process()
        writer.executableURL = CLITests.executable
        writer.arguments = ["ingest", root.path, "--store", url, "--embedder", "hash"]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL) } }
        var backend: Int64 = 0
        try await eventually("the writer waits for the feed lock inside its transaction") {
            let waiting = try lock.query("SELECT pid FROM pg_locks WHERE \(PostgresSchema.locks(PostgresSchema.feedLock)) AND NOT granted",
                                         [.text(schema)])
            if waiting.rows == 1 { backend = waiting.int(0, 0) }
            return waiting.rows == 1
        }
        let staged = try lock.query("SELECT count(*) FROM chunks WHERE text LIKE '%HALFWRITTEN%'").int(0, 0)
        #expect(staged == 0, "another session never sees uncommitted chunks")
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        try lock.query("SELECT pg_advisory_unlock(\(PostgresSchema.feedLock), hashtext($1))", [.text(schema)])
        try await eventually("the killed writer's session ends and its transaction is rolled back") {
            try lock.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.integer(backend)]).int(0, 0) == 0
        }

        let after = try replica.store.chunks(documentID: try #require(try replica.store.document(path: "disk.md")).id)
        #expect(after == oldChunks, "the old version, whole")
        #expect(try lock.query("SELECT count(*) FROM chunks WHERE text LIKE '%HALFWRITTEN%'").int(0, 0) == 0)
        #expect(try replica.store.latestSequence() == before.sequence, "nothing reached the feed")
        _ = try replica.refresh()
        #expect(try replica.loadedIndex().index?.count == oldChunks.count)

        // The next writer is not blocked by anything the killed one left.
        #expect(try CLITests().kb(["ingest", root.path], store: url).status == 0)
        #expect(try replica.store.chunks(documentID: try #require(try replica.store.document(path: "disk.md")).id).count == 3)
    }

    /// Knowledge bases in different schemas of one database: a writer stuck inside its transaction in one (holding
    /// that schema's feed lock) does not hold up a write to the other.
    @Test func aWriterInOneSchemaDoesNotWaitForAnother() async throws {
        let (busy, free) = (PostgresTestDatabase.freshURL(), PostgresTestDatabase.freshURL())
        defer { PostgresTestDatabase.drop(busy); PostgresTestDatabase.drop(free) }
        let busyStore = try PostgresStore(url: busy)
        let freeStore = try PostgresStore(url: free)
        // The test locks the busy schema's feed table, so its writer stops after taking the feed lock.
        let lock = try PostgresTestDatabase.connection(busy)
        try lock.execute("BEGIN; LOCK TABLE changes IN EXCLUSIVE MODE")
        defer { try? lock.execute("ROLLBACK") }
        let (fingerprint, dns, disk) = (fingerprint, document("dns.md", ["flush the cache"]), document("disk.md", ["rotate the logs"]))
        let stuck = onThread { try busyStore.write(dns, fingerprint: fingerprint) }
        var busyBackend: Int64 = 0
        try await eventually("the busy schema's writer waits inside its transaction") {
            let waiting = try lock.query(
                "SELECT pid FROM pg_locks WHERE locktype = 'relation' AND relation = 'changes'::regclass AND NOT granted")
            if waiting.rows == 1 { busyBackend = waiting.int(0, 0) }
            return waiting.rows == 1
        }

        let written = onThread { try freeStore.write(disk, fingerprint: fingerprint) }
        var freeDone = false
        try await eventually("the other schema's write commits, or waits for the busy writer") {
            freeDone = try freeStore.document(path: "disk.md") != nil
            // pg_locks, not pg_stat_activity: this session is in a transaction, which sees a snapshot of the latter.
            let heldUp = try lock.query("SELECT count(*) FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid))",
                                        [.integer(busyBackend)]).int(0, 0)
            return freeDone || heldUp > 0
        }
        #expect(freeDone, "the other schema's writer waited for this schema's writer")
        try lock.execute("ROLLBACK")
        _ = try await stuck.value
        _ = try await written.value
        #expect(try busyStore.document(path: "dns.md") != nil)
    }

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let url = PostgresTestDatabase.freshURL()
        defer { PostgresTestDatabase.drop(url) }
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try PostgresStore(url: url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(stores.count == 4)
        #expect(try stores[0].stats().schemaVersion == PostgresSchema.currentVersion)
    }

    @Test func aBadURLOrAMissingKnowledgeBaseSaysWhatToDo() throws {
        #expect { try StoreLocation("mysql://host/db") } throws: { "\($0)".contains("postgres://") }
        #expect { try StoreLocation("postgres://kb@127.0.0.1:5432/db?schema=Bad-Name") } throws: {
            "\($0)".contains("schema")
        }
        let missing = PostgresTestDatabase.freshURL()
        #expect { try PostgresStore(url: missing, create: false) } throws: { "\($0)".contains("no knowledge base") }
        let refused = try PostgresURL(PostgresTestDatabase.url!)
        var wrong = URLComponents(string: refused.libpqURL)!
        wrong.password = "wrong-password"
        #expect { try PostgresStore(url: wrong.string!) } throws: { error in
            let text = "\(error)"
            return text.contains("cannot reach") && !text.contains("wrong-password") && text.contains("***")
        }
        #expect(try StoreLocation("kb.sqlite") == .sqlite(path: "kb.sqlite"))
        #expect(try StoreLocation("sqlite:/tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
    }
}
