import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

struct ModelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the built-in model on the chunks of a corpus, against the machine's sgemm peak and an "
            + "Ollama-compatible server.",
        discussion: """
            Chunks PATH… as `kb ingest` would, then in one run: the sgemm peak (single-threaded OpenBLAS on \
            every worker at once, the model's largest product shape), the built-in model's throughput (tokenising \
            included) and GFLOP/s, the server's throughput on the same texts (with --ollama-host, one request of \
            --ollama-batch texts at a time) with the cosine between its vectors and ours, the peak again, and peak RSS.
            """,
        shouldDisplay: false)

    @OptionGroup var log: LogOptions
    @OptionGroup var ignoredStore: IgnoredStoreOptions
    @OptionGroup var ignoredIndex: IgnoredIndexOptions
    @OptionGroup var directory: ModelDirectoryOption
    @Argument(help: ArgumentHelp("Files or directories to chunk.", valueName: "path")) var paths: [String]
    @Option(help: ArgumentHelp("Workers (default: all processors).", valueName: "n")) var threads: Int?
    @Option(help: ArgumentHelp("Texts per embed call.", valueName: "n")) var batchSize: Int = 64
    @Option(help: ArgumentHelp("Also time this Ollama-compatible server.", valueName: "url")) var ollamaHost: String?
    @Option(help: ArgumentHelp("Texts per server request.", valueName: "n")) var ollamaBatch: Int = 32
    @Flag(help: "Print the figures as JSON.") var json = false

    struct Throughput: Encodable {
        var seconds: Double
        var chunksPerSecond: Double
        var tokensPerSecond: Double
    }

    struct Report: Encodable {
        var chunks = 0
        var tokens = 0
        var maxTokens = 0
        var overContext = 0
        var threads = 0
        var sgemmPeakGflops: [Double] = []
        var builtin: Throughput?
        var tokenizeSeconds = 0.0
        var forwardGflops = 0.0
        var fractionOfPeak = 0.0
        var peakRSSMegabytes = 0.0
        var server: Throughput?
        var cosineToServer: [String: Double]?
    }

    func run() async throws {
        let logger = log.makeLogger()
        let embedder = try BuiltinEmbedder(locator: directory.locator, threads: threads, batchSize: batchSize,
                                           logger: logger)
        let (files, _) = try SourceDiscovery.discover(paths)
        let chunker = Chunker(options: ChunkerOptions(maxTokens: 350, contextTokens: embedder.contextTokens))
        var texts: [String] = []
        for file in files {
            guard let text = try? String(contentsOf: file.url, encoding: .utf8) else { continue }
            for chunk in chunker.chunk(text, path: file.storedPath, format: file.format).chunks {
                texts.append(EmbeddingText.make(path: file.storedPath, heading: chunk.heading, text: chunk.text))
            }
        }
        var report = Report(chunks: texts.count, threads: embedder.threads)
        Output.note("\(texts.count) chunks from \(files.count) files; measuring the sgemm peak…")
        report.sgemmPeakGflops.append(MiniLMBenchmark.sgemmPeak(threads: embedder.threads))

        let tokenizing = ContinuousClock.now
        let sequences = texts.map(embedder.modelInput)
        report.tokenizeSeconds = tokenizing.duration(to: .now).fractional
        report.tokens = sequences.reduce(0) { $0 + $1.count }
        report.maxTokens = texts.map { embedder.tokenizer.tokenCount($0) }.max() ?? 0
        report.overContext = embedder.truncatedTexts
        Output.note("built-in model on \(report.tokens) tokens…")
        let forward = ContinuousClock.now
        var ours: [[Float]] = []
        for start in stride(from: 0, to: sequences.count, by: batchSize) {
            ours += embedder.embed(ids: Array(sequences[start..<min(start + batchSize, sequences.count)]))
        }
        let forwardSeconds = forward.duration(to: .now).fractional
        let flops = sequences.reduce(0) { $0 + MiniLMBenchmark.flops(length: $1.count) }
        report.forwardGflops = flops / forwardSeconds / 1e9
        report.builtin = throughput(seconds: forwardSeconds + report.tokenizeSeconds, report: report)
        report.peakRSSMegabytes = Double(MiniLMBenchmark.peakResidentBytes()) / 1e6

        if let ollamaHost {
            Output.note("server at \(ollamaHost)…")
            let client = OllamaClient(configuration: OllamaConfiguration(
                host: OllamaConfiguration.normaliseHost(ollamaHost), api: .embed, batchSize: ollamaBatch,
                maxConcurrentRequests: 1, requestTimeout: 600), logger: logger)
            let started = ContinuousClock.now
            var theirs: [[Float]] = []
            for start in stride(from: 0, to: texts.count, by: ollamaBatch) {
                theirs += try await client.embed(Array(texts[start..<min(start + ollamaBatch, texts.count)]))
            }
            report.server = throughput(seconds: started.duration(to: .now).fractional, report: report)
            let cosines = zip(ours, theirs).map { zip($0, $1).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
            report.cosineToServer = ["min": cosines.min() ?? 0,
                                     "mean": cosines.reduce(0, +) / Double(max(1, cosines.count))]
        }
        Output.note("measuring the sgemm peak again…")
        report.sgemmPeakGflops.append(MiniLMBenchmark.sgemmPeak(threads: embedder.threads))
        report.fractionOfPeak = report.forwardGflops / (report.sgemmPeakGflops.max() ?? 1)
        if json { return try Output.printJSON(report) }
        print(summary(report))
    }

    private func throughput(seconds: Double, report: Report) -> Throughput {
        Throughput(seconds: seconds, chunksPerSecond: Double(report.chunks) / seconds,
                   tokensPerSecond: Double(report.tokens) / seconds)
    }

    private func summary(_ report: Report) -> String {
        func line(_ name: String, _ value: Throughput?) -> String {
            guard let value else { return "" }
            return String(format: "%@: %.1f s, %.1f chunks/s, %.0f tokens/s\n", name, value.seconds,
                          value.chunksPerSecond, value.tokensPerSecond)
        }
        var text = "\(report.chunks) chunks, \(report.tokens) tokens (longest \(report.maxTokens), "
            + "\(report.overContext) over 512), \(report.threads) threads\n"
        text += line("built-in", report.builtin)
        text += String(format: "  tokenising %.2f s; forward pass %.1f GFLOP/s = %.0f %% of the sgemm peak "
                       + "(%@ GFLOP/s before/after)\n", report.tokenizeSeconds, report.forwardGflops,
                       report.fractionOfPeak * 100,
                       report.sgemmPeakGflops.map { String(format: "%.1f", $0) }.joined(separator: "/"))
        text += String(format: "  peak RSS %.0f MB\n", report.peakRSSMegabytes)
        text += line("server", report.server)
        if let cosine = report.cosineToServer {
            text += String(format: "  cosine to the server's vectors: min %.7f, mean %.7f\n", cosine["min"] ?? 0,
                           cosine["mean"] ?? 0)
        }
        return text
    }
}

extension Duration {
    fileprivate var fractional: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
