import Foundation
import Testing
@testable import KnowledgeBase

struct FullTextTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    func write(_ store: SQLiteStore, _ path: String, _ texts: [String], heading: [String] = ["Runbook"]) throws -> WrittenDocument {
        let chunks = texts.enumerated().map {
            Chunk(ordinal: $0.offset, headingPath: heading + ["S\($0.offset)"], text: $0.element, firstLine: 1, lastLine: 1,
                  tokens: 1)
        }
        return try store.write(DocumentWrite(path: path, title: "T", format: .markdown, sha256: UUID().uuidString,
                                             size: 1, chunker: "c", chunks: chunks, vectors: texts.map { _ in [1, 0, 0] }),
                               fingerprint: fingerprint)
    }

    @Test func keywordSearchFollowsWritesReplacementsAndDeletes() throws {
        let store = try SQLiteStore(path: ":memory:")
        let first = try write(store, "alerts/KubePodCrashLooping.md", ["Pod is in CrashLoopBackOff state.", "Check kube_pod_container_status_restarts_total."])
        _ = try write(store, "alerts/disk.md", ["The disk is full: no space left on device."])
        #expect(try store.keywordSearch("CrashLoopBackOff", limit: 5).map(\.documentID) == [first.id])
        #expect(try store.keywordSearch("why is kube_pod_container_status_restarts_total rising", limit: 5).first?.chunkID
            == first.rows[1].chunkID)
        // The alert name lives in the file name, which is indexed as context.
        #expect(try store.keywordSearch("KubePodCrashLooping", limit: 5).count == 2)
        #expect(try store.keywordSearch("no space left on device", limit: 5, pathPrefix: "alerts/disk").count == 1)
        #expect(try store.keywordSearch("no space left on device", limit: 5, pathPrefix: "nowhere/").isEmpty)

        _ = try write(store, "alerts/KubePodCrashLooping.md", ["Replaced text about restarts."])
        #expect(try store.keywordSearch("CrashLoopBackOff", limit: 5).isEmpty, "replaced chunks leave the index")
        #expect(try store.keywordSearch("replaced", limit: 5).count == 1)
        try store.removeDocument(id: first.id)
        #expect(try store.keywordSearch("replaced", limit: 5).isEmpty, "a deleted document's chunks leave the index")
        #expect(try store.keywordSearch("the of and", limit: 5).isEmpty, "stop words alone search nothing")
    }

    @Test func aFailedWriteLeavesTheFullTextIndexAsItWas() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try write(store, "a.md", ["old words here"])
        try store.withConnection { try $0.execute("""
            CREATE TRIGGER fail_second BEFORE INSERT ON chunks WHEN NEW.ordinal = 1
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END;
            """) }
        #expect(throws: StoreError.self) { try write(store, "a.md", ["brand new words", "second chunk"]) }
        #expect(try store.keywordSearch("old", limit: 5).count == 1)
        #expect(try store.keywordSearch("brand", limit: 5).isEmpty)
    }

    @Test func cjkTextIsFoundBySubstring() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try write(store, "ja.md", ["ディスクの空き容量が不足しています。ログを削除してください。"])
        _ = try write(store, "zh.md", ["磁盘空间不足，请清理日志文件。"])
        #expect(try store.keywordSearch("容量", limit: 5).count == 1)
        #expect(try store.keywordSearch("清理日志", limit: 5).count == 1)
        #expect(try store.keywordSearch("日志", limit: 5).count == 1)
    }

    @Test func matchExpressionsQuoteWordsAndKeepIdentifiersTogether() {
        #expect(FullText.matchExpression("Why is the etcd fsync slow?") == #""etcd" OR "fsync" OR "slow""#)
        #expect(FullText.matchExpression("kube_pod_status_phase --max-surge") == #""kube pod status phase" OR "max surge""#)
        #expect(FullText.matchExpression("\"; DROP TABLE chunks; --") == #""drop" OR "table" OR "chunks""#)
        #expect(FullText.matchExpression("the a of") == nil)
        #expect(FullText.matchExpression("磁盘") == #""磁 盘""#)
    }

    @Test func queryTermsCountTheChunksThatHoldThem() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try write(store, "alerts/a.md", ["the pod restarts", "pod is in CrashLoopBackOff", "node is fine"])
        _ = try write(store, "alerts/b.md", ["pod status from kube_pod_status_phase", "Café crème"])
        let terms = try store.queryTerms("pod CrashLoopBackOff kube_pod_status_phase status_kube karpenter café")
        #expect(terms.map(\.phrase) == ["pod", "crashloopbackoff", "kube pod status phase", "status kube", "karpenter", "café"])
        #expect(terms.map(\.chunkCount) == [3, 1, 1, 0, 0, 1], "a phrase needs its words in order")
        #expect(try store.queryTerms("pod", countLimit: 2).map(\.chunkCount) == [2], "counting stops at the limit")
    }

    @Test func keywordSearchLeavesOutTheCommonestTermsBeyondItsBudget() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try write(store, "alerts/common.md", (0..<6).map { "pod number \($0)" })
        let rare = try write(store, "alerts/rare.md", ["pod evicted for DiskPressure"])
        let terms = try store.queryTerms("pod DiskPressure")
        #expect(try store.keywordSearch(terms: terms, limit: 10).count == 7)
        let bounded = try store.keywordSearch(terms: terms, limit: 10, pathPrefix: nil, documentIDs: nil, contextWeight: 2, postingBudget: 3)
        #expect(bounded.map(\.documentID) == [rare.id], "pod (7 chunks) no longer fits; DiskPressure (1) does")
        #expect(try store.keywordSearch(terms: terms, limit: 10, pathPrefix: nil, documentIDs: nil, contextWeight: 2, postingBudget: 0).isEmpty)
    }

    @Test func upgradingAVersion1DatabaseIndexesItsExistingChunks() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("kb.sqlite").path
        do {
            let store = try SQLiteStore(path: path)
            _ = try write(store, "old.md", ["written before full-text search existed"])
            // Turn it back into a version 1 file: no full-text table, user_version 1.
            try store.withConnection { try downgradeToVersion3($0) }
            try store.withConnection { try $0.execute("""
                DROP TRIGGER chunks_fts_delete; DROP TABLE chunks_fts; PRAGMA user_version = 1;
                """) }
        }
        let upgraded = try SQLiteStore(path: path)
        #expect(try upgraded.stats().schemaVersion == Schema.currentVersion)
        #expect(try upgraded.keywordSearch("full-text", limit: 5).count == 1)
    }
}

struct FullTextFuzzTests {
    let fingerprint = EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 3)

    @Test func everyQuestionMakesAMatchStringFTS5Accepts() throws {
        let store = try SQLiteStore(path: ":memory:")
        _ = try store.write(DocumentWrite(path: "a.md", title: "A", format: .markdown, sha256: "s", size: 1, chunker: "c",
                                          chunks: [Chunk(ordinal: 0, headingPath: ["A"], text: "disk ൎ full", firstLine: 1,
                                                         lastLine: 1, tokens: 1)],
                                          vectors: [[1, 0, 0]]), fingerprint: fingerprint)
        // A letter that combines with the quote after it (one Character, two scalars) once smuggled the quote in.
        #expect(try store.keywordSearch("ൎ\"", limit: 5).count == 1)
        let pieces: [String] = ["\"", "'", "*", "(", ")", ":", "^", "-", "_", "NEAR", "AND", "OR", "NOT", "\u{301}",
                                "\u{D4E}", "é", "日本", " ", "\u{0}", "\u{200D}", "a", "disk", "+", "{", "}", ".", "\\"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let question = (0..<Int.random(in: 1...8, using: &generator))
                .map { _ in pieces.randomElement(using: &generator)! }.joined()
            #expect(throws: Never.self, "\(question.debugDescription)") {
                _ = try store.keywordSearch(question, limit: 5)
            }
        }
    }
}
