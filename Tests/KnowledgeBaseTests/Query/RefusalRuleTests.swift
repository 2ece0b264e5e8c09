import Foundation
import Testing
@testable import KnowledgeBase

struct RefusalRuleTests {
    @Test func theMinimumScoreStillRefusesAndTheRuleWeighsCosineWithCoverage() {
        let rule = RefusalRule(cosineWeight: 10, coverageWeight: 10, bias: -10)
        let strong = RefusalEvidence(topCosine: 0.6, termCoverage: 0.8, terms: 5)
        #expect(!strong.refused(minScore: 0.25, rule: rule))
        #expect(strong.refused(minScore: 0.7, rule: rule), "below the minimum score is refused whatever the rule")
        let unknownWords = RefusalEvidence(topCosine: 0.6, termCoverage: 0.2, terms: 5)
        #expect(unknownWords.refused(minScore: 0.25, rule: rule))
        #expect(!unknownWords.refused(minScore: 0.25, rule: nil), "without a rule the minimum score alone decides")
        #expect(RefusalEvidence(topCosine: nil, termCoverage: 1, terms: 1).refused(minScore: -1, rule: nil))
        let named = RefusalEvidence(topCosine: 0.3, termCoverage: 0.1, terms: 9, namesRunbook: true)
        #expect(!named.refused(minScore: 0.25, rule: rule), "naming a runbook overrides the rule")
        #expect(named.refused(minScore: 0.35, rule: rule), "but not the minimum score")
    }

    @Test func coverageCountsTheTermsFoundAnywhere() {
        let terms = [QueryTerm(phrase: "etcd", chunkCount: 4), QueryTerm(phrase: "karpenter", chunkCount: 0)]
        #expect(RefusalEvidence(topCosine: 0.5, terms: terms).termCoverage == 0.5)
        #expect(RefusalEvidence(topCosine: 0.5, terms: []).termCoverage == 0)
    }

    @Test func eachModelHasItsOwnFittedRule() {
        let builtin = EmbeddingFingerprint(embedder: BuiltinEmbedder.kindName, model: BuiltinEmbedder.modelName, dimension: 384)
        #expect(RefusalRule.fitted(for: builtin) == .allMiniLM)
        #expect(RefusalRule.fitted(for: EmbeddingFingerprint(embedder: "ollama", model: "all-minilm", dimension: 384)) == .allMiniLM)
        #expect(RefusalRule.fitted(for: EmbeddingFingerprint(embedder: "hash", model: "hash-v1", dimension: 512)) == .hash)
        #expect(RefusalRule.fitted(for: EmbeddingFingerprint(embedder: "ollama", model: "nomic-embed-text", dimension: 768)) == nil)
        #expect(RefusalPolicy.rule.rule(for: builtin, chunks: 5000) == .allMiniLM)
        #expect(RefusalPolicy.rule.rule(for: builtin, chunks: 20) == nil, "a tiny knowledge base knows too few words")
        #expect(RefusalPolicy.minScore.rule(for: builtin, chunks: 5000) == nil)
    }

    // Two real runbooks among enough generated ones for the rule to apply (RefusalRule.minimumChunks).
    func engine(_ directory: URL) async throws -> AnswerEngine {
        var corpus = [
            "cert-expiry.md": "# Certificate expiry\n## Renew\nRun certbot renew and reload nginx.\n## Verify\nopenssl s_client shows the new date.",
            "disk-full.md": "# Disk full\n## Fix\nRotate the logs with logrotate and delete old journals.",
        ]
        let services = ["billing", "search", "gateway", "queue", "scheduler", "ledger", "catalog", "auth", "mailer", "cache"]
        let verbs = ["restart", "drain", "scale", "inspect", "roll back", "page the owner of"]
        for number in 0..<55 {
            let service = services[number % services.count]
            corpus["generated/\(service)-\(number).md"] = (0..<4).map { section in
                "## Step \(section)\n\(verbs[(number + section) % verbs.count]) the \(service) service on node \(number) "
                    + "and check its health endpoint, latency and error rate"
            }.joined(separator: "\n")
        }
        try writeFiles(corpus, under: directory)
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([directory.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger).ingest(files)
        return AnswerEngine(queryEngine: QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger),
                            chat: AnswerEngineTests.RecordingChat(), chatModel: "m")
    }

    @Test func aClearlyAnsweredQuestionIsAnsweredAndAnUnrelatedOneRefused() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try await engine(directory)
        #expect(try engine.queryEngine.catalog.loadIndex()!.count >= RefusalRule.minimumChunks)
        let answered = try await engine.prepare("how do I renew the certificate with certbot?")
        #expect(!answered.refused && answered.query.results.first?.path == "cert-expiry.md")
        #expect(answered.query.evidence?.termCoverage == 1)

        // Shares "renew" and "certificate" with a runbook, so its best cosine clears the minimum score, but most
        // of its words occur nowhere in the knowledge base.
        let question = "how do I renew the Okta SAML signing certificate for the Jenkins controller?"
        let unrelated = try await engine.prepare(question)
        let evidence = try #require(unrelated.query.evidence)
        #expect(evidence.topCosine! >= QueryOptions.defaultMinScore(for: try #require(try engine.queryEngine.catalog.store.fingerprint())))
        #expect(evidence.termCoverage < 0.5)
        #expect(unrelated.refused && unrelated.query.refused && unrelated.query.results.isEmpty)
        let minimumOnly = try await engine.prepare(question, options: QueryOptions(refusal: .minScore))
        #expect(!minimumOnly.refused, "the minimum score alone would have answered it")
    }

    @Test func aPastedAlertNamingARunbookIsAnsweredDespiteItsUnknownWords() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try writeFiles(["alerts/CertificateExpiry.md": "# CertificateExpiry\n## Renew\nRun certbot renew and reload nginx."],
                       under: directory)
        let catalog = try makeCatalog(in: directory)
        let (files, _) = try SourceDiscovery.discover([directory.path])
        _ = try await Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(), logger: quietLogger).ingest(files)
        let engine = QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        let alert = "[FIRING:1] CertificateExpiry instance=edge-7.example.internal job=blackbox severity=critical"
        let result = try await engine.query(alert)
        #expect(result.evidence?.namesRunbook == true && result.evidence!.termCoverage < 0.5)
        #expect(!result.refused && result.results.first?.path == "alerts/CertificateExpiry.md")
    }

    @Test(arguments: SearchMode.allCases)
    func everyModeRefusesTheSameUnrelatedQuestion(mode: SearchMode) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let engine = try await engine(directory)
        let result = try await engine.queryEngine.query("how do I renew the Okta SAML signing certificate for the Jenkins controller?",
                                                        options: QueryOptions(mode: mode))
        #expect(result.refused && result.results.isEmpty)
    }
}
