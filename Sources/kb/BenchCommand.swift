import ArgumentParser
import Dispatch
import Foundation
import KnowledgeBase

/// Hidden helpers for `Scripts/bench`: the index on raw float32 files, index loading, memory bandwidth.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark helpers for Scripts/bench (JSON on stdout).", shouldDisplay: false,
        subcommands: [Search.self, Load.self, Bandwidth.self, Synthetic.self, Modes.self, Follow.self, Echo.self])

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exact top-k over raw little-endian float32 row-major files with kb's VectorIndex.")

        @Option(help: "N×d float32 vectors (rows are normalised on load).") var vectors: String
        @Option(help: "Q×d float32 queries.") var queries: String
        @Option(help: "Dimension d.") var dimension: Int
        @Option(help: "Search threads (OpenBLAS and kb's own).") var threads: Int = 1
        @Option(name: .short, help: "Results per query.") var k: Int = 10
        @Option(help: "Single queries to time.") var single: Int = 100
        @Option(help: "Queries per batch.") var batchSize: Int = 256
        @Option(help: "Batches to time.") var batches: Int = 1
        @Option(help: "Write top-k row ids (int64) to PREFIX-single.i64 and PREFIX-batch.i64.") var idsOut: String?
        @Option(help: "In-memory precision of the index: fp32 or fp16.") var precision: IndexPrecision = .fp32

        func run() async throws {
            BLASRuntime.setThreads(threads)
            let base = try MappedFloats(path: vectors)
            let queryFile = try MappedFloats(path: queries)
            guard base.count % dimension == 0, queryFile.count % dimension == 0 else {
                throw ValidationError("file sizes are not a multiple of \(dimension) float32 values")
            }
            let rows = base.count / dimension
            let queryRows = (0..<(queryFile.count / dimension)).map {
                Array(queryFile.buffer[($0 * dimension)..<(($0 + 1) * dimension)])
            }
            guard !queryRows.isEmpty else { throw ValidationError("no queries in \(queries)") }
            let index = VectorIndex(dimension: dimension, reservingRows: rows, precision: precision)
            index.searchThreads = threads
            let built = try Self.time { try index.appendRows(base.buffer, firstChunkID: 0, documentID: 1, path: "bench") }
            _ = try index.search(queryRows[0], k: k)

            var singleTimes: [Double] = []
            var singleIDs: [Int64] = []
            for number in 0..<single {
                var hits: [Hit] = []
                singleTimes.append(try Self.time { hits = try index.search(queryRows[number % queryRows.count], k: k) })
                singleIDs += hits.map(\.chunkID)
            }
            let batch = (0..<batchSize).map { queryRows[$0 % queryRows.count] }
            var batchTimes: [Double] = []
            var batchIDs: [Int64] = []
            for _ in 0..<batches {
                var results: [[Hit]] = []
                batchTimes.append(try Self.time { results = try index.search(batch: batch, k: k) })
                batchIDs = results.flatMap { $0.map(\.chunkID) }
            }
            if let idsOut {
                try Self.write(singleIDs, to: idsOut + "-single.i64")
                try Self.write(batchIDs, to: idsOut + "-batch.i64")
            }
            let sorted = singleTimes.sorted()
            let singleMean = singleTimes.reduce(0, +) / Double(max(1, singleTimes.count))
            let batchMean = batchTimes.reduce(0, +) / Double(max(1, batchTimes.count))
            try Output.printJSON(SearchResult(
                count: rows, dimension: dimension, threads: threads, precision: precision,
                vectorBytes: index.vectorBytes, blasCore: BLASRuntime.coreName,
                blasThreads: BLASRuntime.threads, buildMilliseconds: built,
                single: .init(queries: single, p50Milliseconds: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                              meanMilliseconds: singleMean, queriesPerSecond: singleMean > 0 ? 1000 / singleMean : 0),
                batch: .init(size: batchSize, batches: batches, meanMilliseconds: batchMean,
                             queriesPerSecond: batchMean > 0 ? Double(batchSize) * 1000 / batchMean : 0)))
        }

        struct SearchResult: Encodable {
            struct Single: Encodable { var queries: Int; var p50Milliseconds, meanMilliseconds, queriesPerSecond: Double }
            struct Batch: Encodable { var size, batches: Int; var meanMilliseconds, queriesPerSecond: Double }
            var count, dimension, threads: Int
            var precision: IndexPrecision
            var vectorBytes: Int
            var blasCore: String
            var blasThreads: Int
            var buildMilliseconds: Double
            var single: Single
            var batch: Batch
        }

        static func time(_ body: () throws -> Void) rethrows -> Double {
            let started = ContinuousClock.now
            try body()
            let (seconds, attoseconds) = started.duration(to: .now).components
            return Double(seconds) * 1000 + Double(attoseconds) / 1e15
        }

        static func write(_ ids: [Int64], to path: String) throws {
            try ids.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        }
    }

    struct Bandwidth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Memory read bandwidth: sum a large buffer.")

        @Option(help: "Buffer size in MiB (well above the last-level cache).") var megabytes: Int = 1024
        @Option(help: "Thread counts to try, comma-separated.") var threads: String = "1,2"
        @Option(help: "Passes per thread count (the best is kept).") var repeats: Int = 5

        func run() async throws {
            let count = megabytes * 1024 * 1024 / MemoryLayout<SIMD16<Float>>.stride
            let buffer = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: SIMD16(repeating: 1), count: count)
            var result: [String: Double] = [:]
            for threadCount in threads.split(separator: ",").compactMap({ Int($0) }) where threadCount > 0 {
                var best = 0.0
                for _ in 0..<repeats {
                    let shared = SharedPointer(pointer: buffer)
                    let milliseconds = Search.time {
                        DispatchQueue.concurrentPerform(iterations: threadCount) { part in
                            let start = count * part / threadCount
                            let end = count * (part + 1) / threadCount
                            let sum = Self.sum(shared.pointer + start, count: end - start)
                            if sum == -1 { print("") }  // keeps the sum alive
                        }
                    }
                    best = max(best, Double(count * MemoryLayout<SIMD16<Float>>.stride) / (milliseconds * 1e6))
                }
                result[String(threadCount)] = (best * 100).rounded() / 100
            }
            try Output.printJSON(["read_gb_per_s": result])
        }

        static func sum(_ pointer: UnsafePointer<SIMD16<Float>>, count: Int) -> Float {
            var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()
            var index = 0
            while index + 4 <= count {
                a += pointer[index]; b += pointer[index + 1]; c += pointer[index + 2]; d += pointer[index + 3]
                index += 4
            }
            while index < count { a += pointer[index]; index += 1 }
            return (a + b + c + d).sum()
        }
    }
}

/// A pointer handed to worker threads that each touch their own part of it.
struct SharedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
}

/// A read-only memory map of a file of float32 values.
final class MappedFloats {
    let buffer: UnsafeBufferPointer<Float>
    private let length: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ValidationError("cannot open \(path)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { throw ValidationError("cannot read \(path)") }
        length = Int(info.st_size)
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), address != MAP_FAILED else {
            throw ValidationError("cannot map \(path)")
        }
        buffer = UnsafeBufferPointer(start: address.assumingMemoryBound(to: Float.self),
                                     count: length / MemoryLayout<Float>.size)
    }

    var count: Int { buffer.count }

    deinit { munmap(UnsafeMutableRawPointer(mutating: buffer.baseAddress), length) }
}
