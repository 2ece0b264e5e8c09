import Foundation
import Testing
@testable import KnowledgeBase

/// `kb eval`'s library path end to end: ingest a tiny corpus with the hash embedder, run questions, score them.
struct EvaluatorTests {
    let corpus = [
        "ops/disk-full.md": "# Disk full\n## Diagnosis\nRun df -h to find the full filesystem.\n## Mitigation\nRotate and compress the logs with logrotate.",
        "ops/cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.",
        "db/replication-lag.md": "# Replication lag\n## Diagnosis\nCheck pg_stat_replication on the primary for replay lag.",
        "db/backup.md": "# Backups\n## Restore\nRestore the nightly pg_dump with pg_restore into a new database.",
    ]

    let questions = """
        {"id": "disk", "question": "the disk is full, how do I rotate and compress logs?", "relevant": ["disk-full.md#mitigation"], "answer_contains": ["logrotate"], "kind": "howto"}
        {"id": "cert", "question": "how do I renew the certificate with certbot?", "relevant": ["ops/cert-expiry.md"], "answer_contains": ["certbot renew"], "kind": "howto"}
        {"id": "lag", "question": "where do I see replication replay lag?", "relevant": ["replication-lag.md"], "kind": "factoid"}
        {"id": "budget", "question": "quarterly marketing budget spreadsheet owner", "relevant": [], "kind": "unanswerable"}
        {"id": "broken", "question": 
        """

    @Test func evaluatesATinyCorpusWithTheHashEmbedder() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("corpus")
        try writeFiles(corpus, under: root)
        let catalog = try makeCatalog(in: directory)
        let summary = try await EvalCorpus.ingest(root.path, into: catalog, embedder: HashEmbedder(), chunkTokens: 350,
                                                  logger: quietLogger)
        #expect(summary.added == 4)
        let (parsed, malformed) = QuestionFile.parse(questions)
        #expect(parsed.count == 4 && malformed.map(\.line) == [5])

        let evaluator = Evaluator(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        let runs = try await evaluator.run(parsed, depth: 10)
        // Only 4 documents exist: retrieval stops when the index is exhausted, with every chunk ranked.
        let total = try catalog.store.stats().chunks
        #expect(total >= 4 && runs.allSatisfy { $0.chunks.count == total })
        let fingerprint = try #require(try catalog.store.fingerprint())
        let settings = EvalSettings(k: 3, minScore: 0.1, fingerprint: fingerprint, database: "kb", questionFile: "q")
        let report = EvalReport(runs: runs, settings: settings, malformed: malformed)

        #expect(report.questions == 4 && report.answerable == 3 && report.unanswerable == 1)
        #expect(report.perQuestion.filter { $0.kind != .unanswerable }.map(\.firstRelevantRank) == [1, 1, 1])
        #expect(report.recallAt1 == 1 && report.mrrAt10 == 1 && report.ndcgAt10 == 1 && report.hitRateAt5 == 1)
        #expect(report.answerInTop5Chunks == 1)
        #expect(report.perKind["howto"]?.questions == 2 && report.perKind["factoid"]?.recallAt5 == 1)
        #expect(report.perQuestion.allSatisfy { $0.retrieved.count == 3 })
        let answerableTop = report.perQuestion.filter { $0.kind != .unanswerable }.compactMap(\.topScore).min()!
        let unanswerableTop = try #require(report.perQuestion.first { $0.id == "budget" }?.topScore)
        #expect(unanswerableTop < answerableTop)
        let suggested = try #require(report.suggestedMinScore)
        #expect(suggested > unanswerableTop && suggested < answerableTop)
        #expect(report.latency.embed.p50 >= 0 && report.latency.p99 >= report.latency.p50)
        #expect(report.malformed == [MalformedLine(line: 5, error: malformed[0].error)])

        // At the suggested minimum score only the unanswerable question is refused.
        let strict = EvalReport(runs: runs, settings: EvalSettings(k: 3, minScore: Float(suggested), fingerprint: fingerprint,
                                                                    database: "kb", questionFile: "q"))
        #expect(strict.refusalPrecision == 1 && strict.refusalRecall == 1 && strict.answerableRefused == 0)
        #expect(strict.text().contains("no misses"))

        // The fitted rule refuses the unanswerable question at the default minimum score: none of its words occur.
        let ruled = EvalReport(runs: runs, settings: EvalSettings(k: 3, minScore: 0.1, fingerprint: fingerprint,
                                                                   database: "kb", questionFile: "q", refusalRule: .hash))
        #expect(ruled.refusalRecall == 1 && ruled.answerableRefused == 0)
        #expect(ruled.perQuestion.first { $0.id == "budget" }?.termCoverage == 0)
        #expect(EvalSweep.rows(runs: runs, chunkTokens: nil, chunks: total, ks: [3], minScores: [0], rule: .hash)
            .map(\.refusalRecall) == [1])

        let rows = EvalSweep.rows(runs: runs, chunkTokens: nil, chunks: total, ks: [1, 3], minScores: [0, Float(suggested)])
        #expect(rows.count == 4 && rows.allSatisfy { $0.recallAtK == 1 })
        #expect(rows.map(\.refusalRecall) == [0, 1, 0, 1])
        #expect(EvalSweep.table(rows).split(separator: "\n").count == 6)
    }

    @Test func theHumanReportListsMissesWithWhatCameBack() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.appendingPathComponent("corpus")
        try writeFiles(corpus, under: root)
        let catalog = try makeCatalog(in: directory)
        _ = try await EvalCorpus.ingest(root.path, into: catalog, embedder: HashEmbedder(), chunkTokens: 350, logger: quietLogger)
        let wrong = EvalQuestion(id: "wrong", question: "how do I renew the certificate with certbot?",
                                 relevant: [RelevantTarget(path: "db/backup.md#nowhere")], kind: .howto)
        let runs = try await Evaluator(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger).run([wrong], depth: 10)
        let report = EvalReport(runs: runs, settings: EvalSettings(
            k: 10, minScore: 0.1, fingerprint: try catalog.store.fingerprint()!, database: "kb", questionFile: "q"))
        let text = report.text()
        #expect(report.recallAt10 == 0)
        #expect(text.contains("misses (no relevant document in the top 5)"))
        #expect(text.contains("expected: db/backup.md#nowhere (not in the top 10)"))
        #expect(text.contains("got 1. ops/cert-expiry.md › Certificate expiry › Renew"))
    }

    @Test func anotherEmbedderThanTheIndexIsRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(corpus, under: directory.appendingPathComponent("corpus"))
        let catalog = try makeCatalog(in: directory)
        _ = try await EvalCorpus.ingest(directory.appendingPathComponent("corpus").path, into: catalog,
                                        embedder: HashEmbedder(), chunkTokens: 350, logger: quietLogger)
        let evaluator = Evaluator(catalog: catalog, embedder: FakeEmbeddingClient(kind: "ollama", model: "all-minilm"),
                                  logger: quietLogger)
        #expect(throws: QueryError.self) { try evaluator.checkedFingerprint() }
    }
}
