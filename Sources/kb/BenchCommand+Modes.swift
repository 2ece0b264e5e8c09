import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

extension BenchCommand {
    struct Modes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Query latency per search mode on a knowledge base, with the parts of a hybrid query timed alone.")

        @OptionGroup var embedding: EmbedderOptions
        @Option(help: "Knowledge base file.") var db: String
        @Option(help: "Question files (JSON Lines); every question is asked in every mode.") var questions: [String]
        @Option(name: .short, help: "Sources per query.") var k: Int = 5
        @Option(help: "Times each question is asked per mode.") var repeats: Int = 3
        @Option(help: "Search threads.") var threads: Int = 1

        func run() async throws {
            var logger = Logger(label: "kb.bench")
            logger.logLevel = .error
            let catalog = Catalog(store: try SQLiteStore(path: db), logger: logger)
            guard let fingerprint = try catalog.store.fingerprint() else { throw ValidationError("\(db) is empty.") }
            let client = try embedding.makeClient(for: fingerprint, logger: logger)
            let texts = try questions.flatMap { try QuestionFile.load(path: $0).questions.map(\.question) }
            guard !texts.isEmpty else { throw ValidationError("no questions in \(questions)") }
            // Questions are embedded once up front: the figures are search times, the embedder's cost is the same
            // in every mode (and reported once).
            var vectors: [String: [Float]] = [:]
            var embedTimes: [Double] = []
            for text in texts {
                let started = ContinuousClock.now
                vectors[text] = try await client.embed([text]).first
                embedTimes.append(started.duration(to: .now).benchMilliseconds)
            }
            let loadTime = try Search.time { _ = try catalog.loadIndex() }
            guard let index = try catalog.loadIndex() else { throw ValidationError("\(db) has no vectors.") }
            index.searchThreads = threads
            let engine = QueryEngine(catalog: catalog, embedder: Precomputed(base: client, vectors: vectors),
                                     logger: logger)
            var result = ModesResult(chunks: index.count, questions: texts.count, repeats: repeats,
                                     indexLoadMilliseconds: loadTime, embed: Summary(embedTimes))
            for mode in SearchMode.allCases {
                _ = try await engine.query(texts[0], options: QueryOptions(k: k, mode: mode))  // warm caches
                var search: [Double] = []
                var refused = 0
                for _ in 0..<repeats {
                    for text in texts {
                        let answer = try await engine.query(text, options: QueryOptions(k: k, mode: mode))
                        search.append(answer.timings.search)
                        refused += answer.refused ? 1 : 0
                    }
                }
                result.modes[mode.rawValue] = ModeFigures(search: Summary(search), refusedShare: Double(refused)
                    / Double(search.count))
            }
            // The parts of a hybrid query, each timed alone.
            var scan: [Double] = [], terms: [Double] = [], keyword: [Double] = [], cosines: [Double] = []
            var records: [Double] = []
            var keptTerms = 0, allTerms = 0
            for _ in 0..<repeats {
                for text in texts {
                    let vector = vectors[text] ?? []
                    var semantic: [Hit] = []
                    scan.append(try Search.time { semantic = try index.search(vector, k: 50) })
                    var queryTerms: [QueryTerm] = []
                    terms.append(try Search.time { queryTerms = try catalog.store.queryTerms(text) })
                    var lexical: [KeywordHit] = []
                    keyword.append(try Search.time { lexical = try catalog.store.keywordSearch(terms: queryTerms, limit: 50) })
                    let missing = Set(lexical.map(\.chunkID)).subtracting(semantic.map(\.chunkID))
                    cosines.append(try Search.time { _ = try index.scores(of: missing, query: vector) })
                    let candidates = Array(Set(semantic.map(\.chunkID)).union(lexical.map(\.chunkID)))
                    records.append(try Search.time { _ = try catalog.store.chunks(ids: candidates) })
                    allTerms += queryTerms.filter(\.found).count
                    keptTerms += Self.kept(queryTerms)
                }
            }
            result.parts = ["vector_scan_top50": Summary(scan), "term_counts": Summary(terms),
                            "keyword_top50": Summary(keyword), "keyword_only_cosines": Summary(cosines),
                            "candidate_records": Summary(records)]
            result.searchedTermShare = allTerms > 0 ? Double(keptTerms) / Double(allTerms) : 0
            try Output.printJSON(result)
        }

        // Terms a keyword search keeps within the posting budget (as `keywordSearch(terms:)` picks them).
        static func kept(_ terms: [QueryTerm]) -> Int {
            var spent = 0
            var count = 0
            for term in terms.filter(\.found).sorted(by: { $0.chunkCount < $1.chunkCount }) {
                guard spent + term.chunkCount <= SQLiteStore.keywordPostingBudget else { break }
                spent += term.chunkCount
                count += 1
            }
            return count
        }

        struct Summary: Encodable {
            var p50, p95, mean: Double
            init(_ values: [Double]) {
                let sorted = values.sorted()
                func at(_ share: Double) -> Double {
                    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count) * share).rounded(.up)) - 1)]
                }
                p50 = at(0.5)
                p95 = at(0.95)
                mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
            }
        }

        struct ModeFigures: Encodable {
            var search: Summary
            var refusedShare: Double
        }

        struct ModesResult: Encodable {
            var chunks, questions, repeats: Int
            var indexLoadMilliseconds: Double
            var embed: Summary
            var modes: [String: ModeFigures] = [:]
            var parts: [String: Summary] = [:]
            var searchedTermShare: Double = 0
        }
    }

    /// Serves question vectors computed beforehand, so timed queries measure search alone.
    struct Precomputed: EmbeddingClient {
        let base: any EmbeddingClient
        let vectors: [String: [Float]]
        var kind: String { base.kind }
        var model: String { base.model }
        var contextTokens: Int { base.contextTokens }
        var preferredBatchSize: Int { base.preferredBatchSize }
        var maxConcurrentRequests: Int { base.maxConcurrentRequests }

        func embed(_ texts: [String]) async throws -> [[Float]] {
            var out: [[Float]] = []
            for text in texts {
                if let vector = vectors[text] { out.append(vector) } else { out += try await base.embed([text]) }
            }
            return out
        }
    }
}

extension Duration {
    var benchMilliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
