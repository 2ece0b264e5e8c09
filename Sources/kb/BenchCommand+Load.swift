import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

extension BenchCommand {
    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time loading the vector index from a knowledge base file (creates a synthetic one if missing).")

        @Option(name: [.customLong("store"), .customLong("db")],
                help: "Knowledge base: a file path or postgres://… (filled with synthetic rows when empty).")
        var db: String
        @Option(help: "Vectors in a synthetic knowledge base.") var count: Int = 100_000
        @Option(help: "Dimension of the synthetic vectors.") var dimension: Int = 384
        @Option(help: "Chunks per synthetic document.") var chunksPerDocument: Int = 1000
        @Option(help: "Timed loads (the best and the median are reported).") var runs: Int = 3
        @Option(help: "In-memory precision of the loaded index: fp32 or fp16 (rows are rounded to halves as they are read).")
        var precision: IndexPrecision = .fp32

        func run() async throws {
            var logger = Logger(label: "kb.bench")
            logger.logLevel = .error
            var createSeconds: Double?
            let location = try StoreLocation(db)
            let empty = try !location.exists || location.open(create: true).documentCount() == 0
            if empty {
                createSeconds = try Search.time { try create(logger: logger) } / 1000
            }
            var times: [Double] = []
            var rows = 0
            for _ in 0..<runs {
                times.append(try Search.time {
                    let catalog = Catalog(store: try location.open(create: false), logger: logger, precision: precision)
                    rows = try catalog.loadIndex()?.count ?? 0
                })
            }
            let sorted = times.sorted()
            let size = try location.open(create: false).stats().fileBytes
            try Output.printJSON(LoadResult(rows: rows, dimension: dimension, precision: precision, fileBytes: size,
                                            createSeconds: createSeconds, loadMilliseconds: times,
                                            bestMilliseconds: sorted.first ?? 0,
                                            medianMilliseconds: sorted.isEmpty ? 0 : sorted[sorted.count / 2]))
        }

        struct LoadResult: Encodable {
            var rows, dimension: Int
            var precision: IndexPrecision
            var fileBytes: Int
            var createSeconds: Double?
            var loadMilliseconds: [Double]
            var bestMilliseconds, medianMilliseconds: Double
        }

        // Documents of `chunksPerDocument` one-line chunks with random unit vectors, written through the store.
        private func create(logger: Logger) throws {
            let store = try StoreLocation(db).open(create: true)
            let fingerprint = EmbeddingFingerprint(embedder: "bench", model: "random", dimension: dimension)
            var generator = SystemRandomNumberGenerator()
            var written = 0
            var document = 0
            while written < count {
                let chunkCount = min(chunksPerDocument, count - written)
                let chunks = (0..<chunkCount).map {
                    Chunk(ordinal: $0, headingPath: ["Synthetic \(document)"], text: "chunk \($0) of document \(document)",
                          firstLine: $0 + 1, lastLine: $0 + 1, tokens: 8)
                }
                let vectors = (0..<chunkCount).map { _ in
                    (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
                }
                _ = try store.write(DocumentWrite(path: "synthetic/\(document).md", title: "Synthetic \(document)",
                                                  format: .markdown, sha256: "\(document)", size: 0, chunker: "bench",
                                                  chunks: chunks, vectors: vectors), fingerprint: fingerprint)
                written += chunkCount
                document += 1
            }
        }
    }
}
