import Foundation
import Testing
@testable import KnowledgeBase

/// What every store promises, run on SQLite and on PostgreSQL alike so the two cannot drift.
@Suite struct StoreContractTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 4)

    func chunks(_ texts: [String], heading: [String] = ["Runbook"]) -> [Chunk] {
        texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: heading + ["S\($0.offset)"], text: $0.element,
                  firstLine: $0.offset * 10 + 1, lastLine: $0.offset * 10 + 5, tokens: 7)
        }
    }

    func vector(_ seed: Int) -> [Float] { [Float(seed), 1, Float(seed % 3), 0.25] }

    @discardableResult
    func write(_ store: any KnowledgeStore, _ path: String, _ texts: [String], source: String = DocumentSource.ingest,
               metadata: String = "{}", seed: Int = 1) throws -> WrittenDocument {
        try store.write(DocumentWrite(source: source, path: path, title: "T \(path)", format: .markdown,
                                      sha256: "sha-\(path)-\(texts.count)-\(seed)", size: texts.joined().utf8.count,
                                      chunker: "c1", metadata: metadata, chunks: chunks(texts),
                                      vectors: texts.indices.map { vector(seed + $0) }), fingerprint: fingerprint)
    }

    @Test(arguments: StoreBackend.available)
    func documentsAreWrittenReplacedListedAndRemoved(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        #expect(try store.fingerprint() == nil)
        let first = try write(store, "b/disk.md", ["Rotate the logs.", "Check df -h."])
        #expect(first.status == .created && first.rows.count == 2)
        #expect(try store.fingerprint() == fingerprint)
        try write(store, "a/dns.md", ["Flush the resolver cache."])
        try write(store, "b/disk.md", ["Other copy."], source: "runbooks")

        let record = try #require(try store.document(path: "b/disk.md", source: DocumentSource.ingest))
        #expect(record.id == first.id && record.title == "T b/disk.md" && record.chunkCount == 2
                && record.source == DocumentSource.ingest && record.chunker == "c1")
        #expect(try store.documents(path: "b/disk.md").map(\.source) == ["ingest", "runbooks"])
        #expect(try store.document(path: "b/disk.md")?.source == "ingest", "the first source by name")
        #expect(try store.documents().map(\.path) == ["a/dns.md", "b/disk.md", "b/disk.md"])
        #expect(try store.documents(limit: 1, offset: 1, source: nil).map(\.source) == ["ingest"])
        #expect(try store.documentCount() == 3 && store.documentCount(source: "runbooks") == 1)

        let stored = try store.chunks(documentID: first.id)
        #expect(stored.map(\.text) == ["Rotate the logs.", "Check df -h."])
        #expect(stored.map(\.ordinal) == [0, 1] && stored[1].firstLine == 11 && stored[1].lastLine == 15)
        #expect(stored[0].heading == "Runbook › S0" && stored[0].path == "b/disk.md" && stored[0].tokens == 7)
        #expect(try store.chunks(ids: stored.map(\.id) + [999_999]).count == 2)

        let replaced = try write(store, "b/disk.md", ["Rotate the logs with logrotate."], seed: 5)
        #expect(replaced.status == .replaced && replaced.id == first.id)
        #expect(Set(replaced.rows.map(\.chunkID)).isDisjoint(with: stored.map(\.id)), "chunk ids are never reused")
        #expect(try store.chunks(ids: stored.map(\.id)).isEmpty)
        #expect(try store.chunks(documentID: first.id).map(\.text) == ["Rotate the logs with logrotate."])

        #expect(try store.removeDocument(id: first.id))
        #expect(try !store.removeDocument(id: first.id))
        #expect(try store.document(id: first.id) == nil && store.chunks(documentID: first.id).isEmpty)
        let stats = try store.stats()
        #expect(stats.documents == 2 && stats.chunks == 2 && stats.vectors == 2 && stats.fingerprint == fingerprint)
    }

    @Test(arguments: StoreBackend.available)
    func anotherEmbedderOrABadVectorChangesNothing(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        try write(store, "disk.md", ["Rotate the logs."])
        let other = EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 4)
        #expect(throws: QueryError.self) {
            try store.write(DocumentWrite(path: "dns.md", title: "T", format: .markdown, sha256: "x", size: 1,
                                          chunker: "c", chunks: chunks(["a"]), vectors: [vector(1)]), fingerprint: other)
        }
        #expect(throws: (any Error).self) {
            try store.write(DocumentWrite(path: "disk.md", title: "T", format: .markdown, sha256: "y", size: 1,
                                          chunker: "c", chunks: chunks(["a", "b"]), vectors: [vector(1), [1, .nan, 0, 0]]),
                            fingerprint: fingerprint)
        }
        #expect(try store.documentCount() == 1)
        #expect(try store.chunks(documentID: store.document(path: "disk.md")!.id).map(\.text) == ["Rotate the logs."])
    }

    @Test(arguments: StoreBackend.available)
    func textIsStoredWhole(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let texts = ["Ünïcödé — “quotes” 'single' \\ backslash $1 %s ?", "日本語のテキスト 🚀", String(repeating: "long ", count: 5000)]
        let written = try write(store, "odd.md", texts)
        #expect(try store.chunks(documentID: written.id).map(\.text) == texts)
        // A NUL is refused with a clear error, never cut short, and nothing is written.
        #expect { try write(store, "nul.md", ["visible\u{0}hidden"]) } throws: { "\($0)".contains("NUL") }
        #expect(try store.document(path: "nul.md") == nil)
    }

    @Test(arguments: StoreBackend.available)
    func vectorsComeBackExactlyInTheIndexAndTheFeedRows(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let one = try write(store, "one.md", ["a", "b", "c"], seed: 3)
        let two = try write(store, "two.md", ["d"], seed: 11)
        let loaded = try store.loadIndex(precision: .fp32)
        let latest = try store.latestSequence()
        #expect(loaded.fingerprint == fingerprint && loaded.sequence == latest)
        let index = try #require(loaded.index)
        #expect(index.count == 4)
        let rows = try store.documentRows(one.id, fingerprintKey: fingerprint.key, dimension: 4)
        #expect(rows.path == "one.md" && rows.rows.map(\.chunkID) == one.rows.map(\.chunkID))
        #expect(rows.rows.map(\.vector) == [vector(3), vector(4), vector(5)])
        #expect(try store.documentRows(two.id, fingerprintKey: "other", dimension: 4).rows.isEmpty)
        _ = try store.removeDocument(id: two.id)
        #expect(try store.documentRows(two.id, fingerprintKey: fingerprint.key, dimension: 4).path == nil)
        let cached = try store.cachedVectors(hashes: try store.chunks(documentID: one.id).map(\.sha256) + ["nope"],
                                             fingerprintKey: fingerprint.key)
        #expect(cached.count == 3 && Set(cached.values.map { $0 }) == Set([vector(3), vector(4), vector(5)]))
    }

    @Test(arguments: StoreBackend.available)
    func theFeedRecordsEveryChangeInOrderAndPrunesBehindItsReaders(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let counter = try store.changeCounter()
        let written = try write(store, "disk.md", ["a"])
        #expect(try store.changeCounter() != counter, "a commit moves the counter")
        try write(store, "disk.md", ["b"], seed: 2)
        _ = try store.removeDocument(id: written.id)
        let batch = try store.changes(after: 0)
        #expect(batch.complete && batch.changes.map(\.kind) == [.fingerprint, .added, .replaced, .removed])
        #expect(batch.changes.map(\.sequence) == batch.changes.map(\.sequence).sorted())
        #expect(batch.changes.dropFirst().allSatisfy { $0.documentID == written.id })
        #expect(batch.latest == batch.changes.last?.sequence)
        #expect(try store.oldestChange(after: batch.latest) == nil)
        #expect(try store.oldestChange(after: 0) != nil)


        // With a retention of 2, a reader at the second change keeps what follows it; the rest is pruned.
        let small = try backend.open(scratch.location, changeRetention: 2)
        try small.recordReader("replica-a", sequence: batch.changes[1].sequence)
        try write(small, "dns.md", ["c"])
        #expect(try !small.changes(after: 0).complete, "changes before the reader's position were pruned")
        #expect(try small.changes(after: batch.changes[1].sequence).complete)
        try small.recordReader("replica-a", sequence: nil)
        for seed in 0..<3 { try write(small, "dns.md", ["c\(seed)"], seed: seed + 10) }
        let latest = try small.latestSequence()
        #expect(try small.changes(after: latest - 2).complete && !small.changes(after: latest - 3).complete)
        #expect(try small.loadIndex(precision: .fp32).sequence == latest, "the newest sequence survives pruning")
    }

    @Test(arguments: StoreBackend.available)
    func keywordSearchRanksRareWordsFiltersAndBounds(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let crash = try write(store, "alerts/KubePodCrashLooping.md",
                              ["Pod is in CrashLoopBackOff state.", "Check kube_pod_container_status_restarts_total."])
        let disk = try write(store, "platform/disk.md", ["The disk is full: no space left on device."],
                             metadata: #"{"service":"storage","tags":["disk","linux"]}"#)
        _ = try write(store, "ja/ディスク.md", ["ディスク容量が不足しています"])
        for index in 0..<6 { try write(store, "common/\(index).md", ["pod number \(index)"]) }

        #expect(try store.keywordSearch("CrashLoopBackOff", limit: 5).map(\.documentID) == [crash.id])
        #expect(try store.keywordSearch("why is kube_pod_container_status_restarts_total rising", limit: 5).first?.chunkID
                == crash.rows[1].chunkID, "an identifier matches as the phrase of its parts")
        #expect(try store.keywordSearch("容量", limit: 5).count == 1, "a CJK word inside a run of CJK text")
        #expect(try store.keywordSearch("no space left", limit: 5, pathPrefix: "alerts/").isEmpty)
        #expect(try store.keywordSearch("no space left", limit: 5, pathPrefix: "platform/").map(\.documentID) == [disk.id])
        #expect(try Set(store.keywordSearch("pod", limit: 10, documentIDs: [crash.id]).map(\.documentID)) == [crash.id])
        let ranked = try store.keywordSearch("pod CrashLoopBackOff", limit: 3)
        #expect(ranked.first?.documentID == crash.id && ranked.map(\.score) == ranked.map(\.score).sorted(by: >))
        let terms = try store.queryTerms("pod CrashLoopBackOff")
        #expect(terms.map(\.phrase) == ["pod", "crashloopbackoff"] && terms.map(\.chunkCount) == [8, 1])
        let bounded = try store.keywordSearch(terms: terms, limit: 10, pathPrefix: nil, documentIDs: nil,
                                              contextWeight: 2, postingBudget: 3)
        #expect(bounded.map(\.documentID) == [crash.id], "pod (8 chunks) no longer fits; CrashLoopBackOff (1) does")
        for question in [#"ൎ""#, #"" OR "#, "'; DROP TABLE chunks; --", "a:b & c | !d <-> (e)", "***", ""] {
            _ = try store.keywordSearch(question, limit: 5)
        }
        #expect(try store.documentIDs(matching: [MetadataFilter(key: "tags", value: "linux")]) == [disk.id])
        #expect(try store.documentIDs(matching: [MetadataFilter(key: "service", value: "storage"),
                                                 MetadataFilter(key: "tags", value: "dns")]).isEmpty)
        #expect(try store.documentLabels(ids: [disk.id, 424_242])[disk.id]?.source == DocumentSource.ingest)
    }

    @Test(arguments: StoreBackend.available)
    func aLongQuestionHasOnlyItsRarestTermsCountedInFull(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let common = (0..<10).map { "common\($0)" }
        for index in 0..<20 { try write(store, "common/\(index).md", [common.joined(separator: " ")]) }
        let crash = try write(store, "alerts/crash.md", ["Pod is in CrashLoopBackOff state."])
        // A pasted log: 70 words the runbooks never contain, one rare one and ten in every runbook.
        let unknown = (0..<70).map { "unseen\($0)" }
        let question = (unknown + ["CrashLoopBackOff"] + common).joined(separator: " ")
        let limit = StoreLimits.keywordPostingBudget + 1

        let terms = try store.queryTerms(question, countLimit: limit)
        #expect(terms.count == 81 && terms.count > StoreLimits.countedQueryTerms)
        let counts = Dictionary(uniqueKeysWithValues: terms.map { ($0.phrase, $0.chunkCount) })
        #expect(unknown.allSatisfy { counts[$0] == 0 } && counts["crashloopbackoff"] == 1, "rare terms are exact")
        #expect(common.allSatisfy { counts[$0] == limit },
                "common terms past the rarest 64 are not counted in full, only known to be common")
        let evidence = RefusalEvidence(topCosine: 1, terms: terms)
        #expect(abs(evidence.termCoverage - 11.0 / 81.0) < 1e-9, "coverage still counts every term found")
        #expect(try store.keywordSearch(terms: terms, limit: 5).first?.documentID == crash.id)

        // Sixty unknown words and the rare one leave three of the 64 slots: the first three common words asked are
        // counted exactly, the other seven only known to be common.
        let words: [String] = Array(unknown.prefix(10)) + ["CrashLoopBackOff"] + common
            + (10..<60).map { "common\($0)" }
        let shorter = try store.queryTerms(words.joined(separator: " "), countLimit: limit)
        #expect(shorter.count == 71)
        #expect(shorter.filter { $0.chunkCount == 20 }.map(\.phrase) == Array(common.prefix(3)))
        #expect(shorter.filter { $0.chunkCount == limit }.map(\.phrase) == Array(common.dropFirst(3)))
        #expect(shorter.filter { $0.chunkCount == 0 }.count == 60)
    }

    @Test(arguments: StoreBackend.available)
    func aReindexStagesVectorsThenSwitchesInOneStep(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        let written = try write(store, "disk.md", ["a", "b"])
        let next = EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 4)
        let pending = try store.chunksWithoutVector(fingerprintKey: next.key)
        #expect(pending.map(\.chunkID) == written.rows.map(\.chunkID) && pending[0].label.contains("disk.md"))
        #expect(throws: StoreError.self) { try store.switchFingerprint(to: next) }
        #expect(try store.fingerprint() == fingerprint, "a refused switch changes nothing")
        let before = try store.latestSequence()
        try store.storeVectors([(pending[0], [0, 0, 1, 0])], fingerprintKey: next.key)
        #expect(try store.latestSequence() == before, "staged vectors of another fingerprint are not on the feed")
        try store.storeVectors([(pending[1], [0, 1, 0, 0])], fingerprintKey: next.key)
        try store.switchFingerprint(to: next)
        #expect(try store.fingerprint() == next && store.vectorCount(fingerprint) == 0 && store.vectorCount(next) == 2)
        #expect(try store.changes(after: before).changes.map(\.kind) == [.fingerprint])
        try store.storeVectors([(pending[1], [1, 1, 0, 0])], fingerprintKey: next.key)
        #expect(try store.changes(after: before).changes.last?.kind == .replaced, "active vectors go on the feed")
    }

    @Test(arguments: StoreBackend.available)
    func sourcesAreClaimedOnceAndNeverOverlap(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        try store.claimSource(name: "runbooks", root: "/srv/runbooks", kind: "folder")
        try store.claimSource(name: "runbooks", root: "/srv/runbooks", kind: "folder")
        #expect(throws: SyncError.self) { try store.claimSource(name: "runbooks", root: "/srv/other", kind: "folder") }
        #expect(throws: SyncError.self) { try store.claimSource(name: "inner", root: "/srv/runbooks/db", kind: "folder") }
        try store.recordSource(name: "runbooks", root: "/srv/runbooks", kind: "git", ref: "main", revision: "abc123")
        try write(store, "disk.md", ["a"], source: "runbooks")
        let sources = try store.sources()
        #expect(sources.map(\.name) == ["runbooks"] && sources[0].revision == "abc123" && sources[0].documents == 1)
        #expect(sources[0].syncedAt != nil && sources[0].ref == "main" && sources[0].kind == "git")
    }

    @Test(arguments: StoreBackend.available)
    func theEmbeddingCacheCopiesOut(backend: StoreBackend) throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let store = scratch.store
        try write(store, "disk.md", ["a", "b"])
        var entries: [(hash: String, fingerprintKey: String, vector: [Float])] = []
        try store.forEachCachedVector { entries.append(($0, $1, $2)) }
        #expect(entries.count == 2 && entries.map(\.hash) == entries.map(\.hash).sorted())
        try store.storeCachedVectors([("h1", "other-model", [1, 2, 3, 4])] + entries)
        #expect(try store.cachedVectors(hashes: ["h1"], fingerprintKey: "other-model")["h1"] == [1, 2, 3, 4])
        #expect(try store.stats().cachedEmbeddings == 3)
    }

    @Test(arguments: StoreBackend.available)
    func twoProcessesWritingOneKnowledgeBaseBothLand(backend: StoreBackend) async throws {
        let scratch = try backend.makeStore()
        defer { scratch.cleanUp() }
        let other = try backend.open(scratch.location)
        let stores = [scratch.store, other]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, store) in stores.enumerated() {
                group.addTask {
                    for index in 0..<15 { try write(store, "shared/\(index % 5).md", ["w\(number)-\(index)"], seed: index) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try scratch.store.documentCount() == 5)
        let feed = try scratch.store.changes(after: 0)
        #expect(feed.changes.filter { $0.kind == .added }.count == 5 && feed.changes.count == 31)
        #expect(Set(feed.changes.map(\.sequence)).count == 31)
    }
}
