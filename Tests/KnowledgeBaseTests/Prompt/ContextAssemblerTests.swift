import Foundation
import Testing
@testable import KnowledgeBase

struct ContextAssemblerTests {
    func chunk(_ id: Int64, document: Int64 = 1, _ section: String, tokens: Int = 100) -> ChunkRecord {
        let text = String(repeating: "word ", count: tokens)
        return ChunkRecord(id: id, documentID: document, path: "runbooks/R\(document).md", ordinal: Int(id),
                           heading: "R\(document) › \(section)", text: text, firstLine: Int(id), lastLine: Int(id),
                           tokens: tokens, sha256: "\(id)")
    }

    @Test(arguments: [
        ("how do I fix the full disk?", QuestionIntent.remediation),
        ("the HPA is maxed out, what should I check?", .remediation),
        ("alert queue is about to overflow; how do I cut the load?", .remediation),
        ("what does etcdMembersDown mean?", .explanation),
        ("why is the kubelet reporting PLEG errors", .explanation),
    ])
    func questionsAreSortedIntoRemediationOrExplanation(_ question: String, _ intent: QuestionIntent) {
        #expect(QuestionIntent(question: question) == intent)
    }

    @Test func aHowToQuestionGetsTheRemediationSectionsOfARankedRunbook() {
        // A large runbook (1,500 tokens): not included whole; its Meaning chunk ranked, its Mitigation did not.
        let runbook = [chunk(1, "Meaning", tokens: 300), chunk(2, "Impact", tokens: 300),
                       chunk(3, "Diagnosis", tokens: 300), chunk(4, "Mitigation", tokens: 300),
                       chunk(5, "Mitigation › Option 2", tokens: 300)]
        let other = [chunk(11, document: 2, "Meaning", tokens: 50), chunk(12, document: 2, "Mitigation", tokens: 50)]
        let assembler = ContextAssembler(budget: 3000)
        let blocks = assembler.assemble(question: "how do I fix it?", retrieved: [runbook[0], other[0]],
                                        chunks: [1: runbook, 2: other])
        #expect(blocks.map(\.chunk.id) == [1, 11, 3, 4, 5, 12])
        #expect(blocks.map(\.inclusion) == [.retrieved, .retrieved, .section, .section, .section, .section])
        // The second runbook is small: included whole (its Mitigation is a section of the kind asked for).
        let explained = assembler.assemble(question: "what does it mean?", retrieved: [runbook[3], other[0]],
                                           chunks: [1: runbook, 2: other])
        #expect(explained.map(\.chunk.id) == [4, 11, 1, 2, 12])
        #expect(explained.map(\.inclusion) == [.retrieved, .retrieved, .section, .section, .runbook])
    }

    @Test func theBudgetHoldsAndRetrievedPassagesAreNeverDropped() {
        let runbook = [chunk(1, "Meaning", tokens: 300), chunk(2, "Diagnosis", tokens: 300),
                       chunk(3, "Mitigation", tokens: 100), chunk(4, "Impact", tokens: 300)]
        let blocks = ContextAssembler(budget: 500).assemble(question: "how do I fix it?", retrieved: [runbook[0]],
                                                            chunks: [1: runbook])
        // 300 + 300 would pass the budget: the Diagnosis is skipped, the smaller Mitigation still fits.
        #expect(blocks.map(\.chunk.id) == [1, 3])
        var used = 0
        for (offset, block) in blocks.enumerated() {
            used += PromptBuilder.blockTokens(number: offset + 1, path: block.chunk.path, heading: block.chunk.heading,
                                              text: block.chunk.text)
        }
        #expect(used <= 500)
        let over = ContextAssembler(budget: 100).assemble(question: "how?", retrieved: [runbook[0], runbook[1]],
                                                          chunks: [1: runbook])
        #expect(over.map(\.chunk.id) == [1, 2], "retrieved passages stay results; PromptBuilder cuts the prompt")
    }

    @Test func aQueryCitesTheAddedSectionsByTheirNumbers() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let catalog = try makeCatalog(in: directory)
        let ingester = Ingester(catalog: catalog, embedder: HashEmbedder(), chunker: Chunker(options: ChunkerOptions(maxTokens: 40)),
                                logger: quietLogger)
        let filler = String(repeating: "The queue holds alerts waiting to be sent to Alertmanager. ", count: 12)
        _ = try await ingester.add(path: "QueueFull.md", content: """
            # QueueFull
            ## Meaning
            The notification queue is nearly full of alerts. \(filler)
            ## Impact
            Alerts are dropped. \(filler)
            ## Mitigation
            Enable sharding of Prometheus to cut the load on the notification queue.
            """, format: .markdown, source: "runbooks")
        let engine = QueryEngine(catalog: catalog, embedder: HashEmbedder(), logger: quietLogger)
        let options = QueryOptions(k: 1, minScore: -1, refusal: .minScore)
        let result = try await engine.query("notification queue nearly full of alerts, how do I fix it?",
                                            options: options)
        #expect(result.results.first?.included == .retrieved && !result.results[0].heading.hasSuffix("Mitigation"))
        let mitigation = try #require(result.results.first { $0.heading.hasSuffix("Mitigation") })
        #expect(mitigation.included == .section && mitigation.rank == result.results.count)
        #expect(result.results.map(\.rank) == Array(1...result.results.count))
        #expect(result.prompt.contains("[\(mitigation.rank)] QueueFull.md › QueueFull › Mitigation\nEnable sharding"))
        var retrieved = options
        retrieved.context = .retrieved
        let plain = try await engine.query("notification queue nearly full of alerts, how do I fix it?",
                                           options: retrieved)
        #expect(plain.results.count == 1 && !plain.prompt.contains("sharding"))
    }

    @Test func aBlockCostsWhatItsTextAsPromptedCosts() {
        // The budget counts each block piece by piece; that must equal the count of the block as written.
        let cases = [("runbooks/KubeHpaMaxedOut.md", "KubeHpaMaxedOut › Mitigation", "Raise `maxReplicas` to 12."),
                     ("a/b-c_d.md", "", "日本語のテキスト and 42 pods."), ("x.md", "Über › Schritte", "")]
        for (number, (path, heading, text)) in cases.enumerated() {
            let label = heading.isEmpty ? path : "\(path) › \(heading)"
            #expect(PromptBuilder.blockTokens(number: number + 9, path: path, heading: heading, text: text)
                        == TokenEstimator.count("[\(number + 9)] \(label)\n\(text)"))
        }
    }
}
