import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

extension BenchCommand {
    struct Follow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What following the change feed costs a query: the per-query check alone, and query latency "
                + "with the follower thread running and stopped.",
            shouldDisplay: false)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var embedding: EmbedderOptions
        @Option(help: "Queries per measurement.") var queries: Int = 2000

        func run() async throws {
            var logger = Logger(label: "kb.bench")
            logger.logLevel = .error
            let catalog = Catalog(store: try global.storeLocation.open(create: false), logger: logger)
            guard let fingerprint = try catalog.store.fingerprint() else { throw ValidationError("the knowledge base is empty.") }
            let client = try embedding.makeClient(for: fingerprint, logger: logger)
            let question = "disk is full on a node"
            let vector = try await client.embed([question])[0]
            let engine = QueryEngine(catalog: catalog, embedder: Precomputed(base: client, vectors: [question: vector]),
                                     logger: logger)
            try catalog.loadIndex()
            // The check every query makes when nothing was committed.
            let checks = 100_000
            let started = ContinuousClock.now
            for _ in 0..<checks { try catalog.refresh() }
            let checkMicroseconds = started.duration(to: .now).benchMilliseconds * 1000 / Double(checks)

            func p50(_ options: QueryOptions) async throws -> Double {
                var times: [Double] = []
                for _ in 0..<queries {
                    let begun = ContinuousClock.now
                    _ = try await engine.query(question, options: options)
                    times.append(begun.duration(to: .now).benchMilliseconds)
                }
                return times.sorted()[times.count / 2]
            }
            var rows: [(String, Double, Double)] = []
            for mode in [SearchMode.vector, .hybrid] {
                let options = QueryOptions(k: 5, mode: mode)
                let idle = try await p50(options)
                let follower = Task { await catalog.follow() }
                let following = try await p50(options)
                follower.cancel()
                _ = await follower.value
                rows.append((mode.rawValue, idle, following))
            }
            print(String(format: "feed check per query (nothing committed): %.2f µs over %d calls", checkMicroseconds, checks))
            for (mode, idle, following) in rows {
                print(String(format: "%@ query p50 over %d: %.3f ms without the follower thread, %.3f ms with it (ratio %.2f)",
                             mode, queries, idle, following, following / idle))
            }
        }
    }
}
