import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure retrieval quality on a JSON Lines question file.",
        discussion: """
            Each line: {"id","question","relevant":[path or path#heading],"answer_contains":[…],\
            "kind":"factoid|howto|unanswerable"}. A retrieved chunk is relevant when its document path ends with \
            a listed path (and, with #heading, its heading path contains that heading). Metrics rank distinct \
            documents, a document ranking where its best chunk does. Unanswerable questions should be refused, by \
            the same rule kb query and kb ask apply (--refusal). "answer in top-5 chunks" looks for the \
            answer_contains strings in the 5 results kb query returns (copies folded), "answer in context" in the \
            prompt's context as kb query assembles it (--context). Malformed lines are reported with their line \
            number; the rest run.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var index: IndexOptions
    @OptionGroup var embedding: EmbedderOptions
    @OptionGroup var batching: EmbeddingBatchOptions

    @Argument(help: ArgumentHelp("Question file (JSON Lines).", valueName: "file.jsonl"))
    var file: String

    @Option(name: .short, help: ArgumentHelp("Documents retrieved and shown per question (metrics @10 always "
                                             + "look at least 10 deep).", valueName: "n"))
    var k: Int = 10

    @Option(help: ArgumentHelp("Minimum score for refusals (default: 0.10 for hash, 0.25 otherwise, as kb query).",
                               valueName: "score"))
    var minScore: Float?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @OptionGroup var retrieval: RetrievalOptions

    @Flag(help: "Evaluate every search mode and print one line per mode (with --json: a \"modes\" array).")
    var allModes = false

    @Option(help: ArgumentHelp("Also write the JSON report to this file.", valueName: "report.json"))
    var out: String?

    @Option(help: ArgumentHelp("Print deltas against an earlier JSON report.", valueName: "old.json"))
    var compare: String?

    @Option(help: ArgumentHelp("Ingest this folder first: into --db if given, else into a temporary database.",
                               valueName: "dir"))
    var corpus: String?

    @Option(help: ArgumentHelp("Chunk size for --corpus, in estimated tokens.", valueName: "n"))
    var chunkTokens: Int = 350

    @Flag(help: "Try a grid of chunk sizes (needs --corpus), k and minimum scores on temporary databases.")
    var sweep = false

    @Option(help: ArgumentHelp("Chunk sizes the sweep tries (with --corpus).", valueName: "n,n,…"))
    var sweepChunkTokens: String = "200,350,500"

    @Option(help: ArgumentHelp("Values of k the sweep tries.", valueName: "n,n,…"))
    var sweepK: String = "3,5,10"

    @Option(help: ArgumentHelp("Minimum scores the sweep tries (default: around the embedder's default, plus the "
                               + "suggested one).", valueName: "s,s,…"))
    var sweepMinScore: String?

    func validate() throws {
        guard retrieval.filters.isEmpty else {
            throw ValidationError("--where is for kb query and kb ask; kb eval measures the whole knowledge base.")
        }
        guard (1...100).contains(k) else { throw ValidationError("-k must be between 1 and 100.") }
        if let minScore, !(-1...1).contains(minScore) { throw ValidationError("--min-score must be between -1 and 1.") }
        guard (32...8192).contains(chunkTokens) else { throw ValidationError("--chunk-tokens must be 32–8192.") }
        guard FileManager.default.fileExists(atPath: file) else {
            throw ValidationError("question file \(file) does not exist.")
        }
        if let corpus, !FileManager.default.fileExists(atPath: corpus) {
            throw ValidationError("--corpus \(corpus) does not exist.")
        }
        if allModes && (sweep || compare != nil || out != nil) {
            throw ValidationError("--all-modes cannot be combined with --sweep, --compare or --out.")
        }
        if let compare, !FileManager.default.fileExists(atPath: compare) {
            throw ValidationError("--compare \(compare) does not exist.")
        }
        _ = try sweepGrid(defaultMinScore: 0.25, suggested: nil)
    }

    func run() async throws {
        let logger = global.makeLogger()
        let (questions, malformed) = try QuestionFile.load(path: file)
        for problem in malformed { Output.note("\(file):\(problem.line): \(problem.error)") }
        guard !questions.isEmpty else { throw EvalError.noValidQuestions(path: file, malformed: malformed.count) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kb-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        // With --corpus and no store named, a scratch file; otherwise the named store (any backend).
        let location: StoreLocation = corpus != nil && !global.storeGiven
            ? .sqlite(path: scratch.appendingPathComponent("eval.sqlite").path) : try global.storeLocation
        let databasePath = location.description
        guard corpus != nil || location.exists else { throw QueryError.emptyKnowledgeBase(path: databasePath) }
        let catalog = Catalog(store: try location.open(create: true), logger: logger, precision: index.indexPrecision)
        let client = try embedding.makeClient(for: try catalog.store.fingerprint(), logger: logger, batching: batching)
        if let corpus {
            Output.note("ingesting \(corpus) into \(global.storeGiven ? databasePath : "a temporary database")…")
            let summary = try await EvalCorpus.ingest(corpus, into: catalog, embedder: client, chunkTokens: chunkTokens,
                                                      logger: logger)
            Output.note(summary.line)
        }
        if allModes { return try await runAllModes(questions: questions, catalog: catalog, client: client,
                                                   databasePath: databasePath, malformed: malformed, logger: logger) }
        var evaluator = Evaluator(catalog: catalog, embedder: client, mode: retrieval.mode,
                                  fusion: retrieval.fusion, logger: logger)
        let fingerprint = try evaluator.checkedFingerprint()
        let minimum = minScore ?? QueryOptions.defaultMinScore(for: fingerprint)
        evaluator.context = retrieval.context
        evaluator.minScore = minimum
        let bar = ProgressBar()
        let runs = try await evaluator.run(questions, depth: max(k, 10)) { done, total in
            bar.update(done: done, total: total, detail: "questions")
        }
        bar.finish()
        let settings = EvalSettings(k: k, minScore: minimum, fingerprint: fingerprint, database: databasePath,
                                    questionFile: file, mode: retrieval.mode, fusion: retrieval.fusion,
                                    refusalRule: retrieval.refusal.rule(
                                        for: fingerprint, chunks: try catalog.loadIndex()?.count ?? 0))
        let report = EvalReport(runs: runs, settings: settings, malformed: malformed)
        let comparison = try compare.map { try ReportComparison(baselinePath: $0, report: report) }
        if let out { try report.json().write(to: URL(fileURLWithPath: out)) }

        var sweepRows: [SweepRow] = []
        if sweep {
            sweepRows = try await runSweep(runs: runs, catalog: catalog, client: client, questions: questions,
                                           defaultMinScore: minimum, suggested: report.suggestedMinScore,
                                           rule: settings.refusalRule, scratch: scratch, logger: logger)
        }
        if json {
            var object = try JSONSerialization.jsonObject(with: report.json()) as? [String: Any] ?? [:]
            let encoder = JSONEncoder()
            if let comparison { object["compare"] = try JSONSerialization.jsonObject(with: encoder.encode(comparison)) }
            if sweep { object["sweep"] = try JSONSerialization.jsonObject(with: encoder.encode(sweepRows)) }
            let data = try JSONSerialization.data(withJSONObject: object,
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(report.text())
        if let comparison { print("\n" + comparison.text()) }
        if sweep { print("\nsweep:\n" + EvalSweep.table(sweepRows)) }
    }

    private func runSweep(runs: [QuestionRun], catalog: Catalog, client: any EmbeddingClient,
                          questions: [EvalQuestion], defaultMinScore: Float, suggested: Double?, rule: RefusalRule?,
                          scratch: URL, logger: Logger) async throws -> [SweepRow] {
        let grid = try sweepGrid(defaultMinScore: defaultMinScore, suggested: suggested)
        let depth = max(grid.ks.max() ?? 10, 10)
        guard let corpus else {
            Output.note("note: without --corpus the sweep keeps the stored chunks; give --corpus DIR to try chunk sizes")
            let stats = try catalog.store.stats()
            let deep = try await Evaluator(catalog: catalog, embedder: client, mode: retrieval.mode,
                                  fusion: retrieval.fusion, logger: logger)
                .run(questions, depth: depth)
            return EvalSweep.rows(runs: deep, chunkTokens: nil, chunks: stats.chunks, ks: grid.ks,
                                  minScores: grid.minScores, rule: rule)
        }
        var rows: [SweepRow] = []
        for tokens in grid.chunkTokens {
            let path = scratch.appendingPathComponent("sweep-\(tokens).sqlite").path
            let copy = Catalog(store: try SQLiteStore(path: path), logger: logger, precision: index.indexPrecision)
            Output.note("sweep: ingesting \(corpus) with \(tokens)-token chunks…")
            _ = try await EvalCorpus.ingest(corpus, into: copy, embedder: client, chunkTokens: tokens, logger: logger)
            let deep = try await Evaluator(catalog: copy, embedder: client, mode: retrieval.mode,
                                  fusion: retrieval.fusion, logger: logger)
                .run(questions, depth: depth)
            rows += EvalSweep.rows(runs: deep, chunkTokens: tokens, chunks: try copy.store.stats().chunks, ks: grid.ks,
                                   minScores: grid.minScores, rule: rule)
        }
        return rows
    }

    // Every mode on the same questions, one summary line each (the per-question detail is in --json).
    private func runAllModes(questions: [EvalQuestion], catalog: Catalog, client: any EmbeddingClient,
                             databasePath: String, malformed: [MalformedLine], logger: Logger) async throws {
        var reports: [EvalReport] = []
        for searchMode in SearchMode.allCases {
            var evaluator = Evaluator(catalog: catalog, embedder: client, mode: searchMode,
                                  fusion: retrieval.fusion, logger: logger)
            evaluator.context = retrieval.context
            evaluator.minScore = minScore
            let fingerprint = try evaluator.checkedFingerprint()
            let runs = try await evaluator.run(questions, depth: max(k, 10))
            reports.append(EvalReport(runs: runs, settings: EvalSettings(
                k: k, minScore: minScore ?? QueryOptions.defaultMinScore(for: fingerprint), fingerprint: fingerprint,
                database: databasePath, questionFile: file, mode: searchMode, fusion: retrieval.fusion,
                refusalRule: retrieval.refusal.rule(for: fingerprint, chunks: try catalog.loadIndex()?.count ?? 0)),
                malformed: malformed))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(["modes": reports]), as: UTF8.self))
            return
        }
        print("\(questions.count) questions · \(reports.first?.refusalSetting ?? "")\n")
        print(EvalReport.modeTable(reports))
    }

    private func sweepGrid(defaultMinScore: Float, suggested: Double?) throws
        -> (chunkTokens: [Int], ks: [Int], minScores: [Float])
    {
        func list<T>(_ text: String, _ name: String, _ parse: (String) -> T?) throws -> [T] {
            let values = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = values.compactMap(parse)
            guard !values.isEmpty, parsed.count == values.count else {
                throw ValidationError("\(name) must be a comma-separated list, not \"\(text)\".")
            }
            return parsed
        }
        let tokens = try list(sweepChunkTokens, "--sweep-chunk-tokens") { Int($0).flatMap { (32...8192).contains($0) ? $0 : nil } }
        let ks = try list(sweepK, "--sweep-k") { Int($0).flatMap { (1...100).contains($0) ? $0 : nil } }
        var scores: [Float]
        if let sweepMinScore {
            scores = try list(sweepMinScore, "--sweep-min-score") { Float($0).flatMap { (-1...1).contains($0) ? $0 : nil } }
        } else {
            scores = [0.5, 1, 1.5, 2].map { (defaultMinScore * $0 * 1000).rounded() / 1000 }
            if let suggested { scores.append(Float(suggested)) }
        }
        return (tokens, ks, Array(Set(scores)).sorted())
    }
}
