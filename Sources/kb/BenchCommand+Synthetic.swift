import ArgumentParser
import Foundation
import KnowledgeBase
import Logging

extension BenchCommand {
    struct Synthetic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "synthetic",
            abstract: "Write a large synthetic knowledge base from a real one: its chunks copied with mutated names.")

        @OptionGroup var embedding: EmbedderOptions
        @OptionGroup var batching: EmbeddingBatchOptions
        @Option(help: "The real knowledge base whose chunks are copied.") var source: String
        @Option(help: "The knowledge base to write (must not exist).") var db: String
        @Option(help: "Chunks to write.") var chunks: Int = 1_000_000
        @Option(help: "Share of rare words (identifiers, long words) renamed in each copy.") var renamed: Double = 0.5
        @Option(help: "Noise added to each source vector (a random unit vector times this).") var noise: Float = 0.75

        func validate() throws {
            guard !FileManager.default.fileExists(atPath: db) else { throw ValidationError("\(db) already exists.") }
            guard chunks > 0, (0...1).contains(renamed), noise >= 0 else { throw ValidationError("bad sizes.") }
        }

        // Every copy of the corpus keeps common words (so their document frequency grows as in a big runbook
        // collection) and renames about half of its rare words (identifiers, long words) per copy, so the
        // vocabulary grows a long tail as real knowledge bases do. Vectors are the source chunk's real embedding
        // plus noise (cosine ≈ 0.8 to it), so scores look like real ones; all rows go through the store's write API.
        func run() async throws {
            var logger = Logger(label: "kb.bench")
            logger.logLevel = .error
            let sourceStore = try SQLiteStore(path: source)
            guard let fingerprint = try sourceStore.fingerprint() else { throw ValidationError("\(source) is empty.") }
            let client = try embedding.makeClient(for: fingerprint, logger: logger, batching: batching)
            let documents = try sourceStore.documents()
            var sourceChunks: [(document: DocumentRecord, chunks: [ChunkRecord])] = []
            for document in documents { sourceChunks.append((document, try sourceStore.chunks(documentID: document.id))) }
            let texts = sourceChunks.flatMap { entry in
                entry.chunks.map { EmbeddingText.make(path: entry.document.path, heading: $0.heading, text: $0.text) }
            }
            Output.note("embedding \(texts.count) source chunks…")
            var vectors: [[Float]] = []
            for start in stride(from: 0, to: texts.count, by: 64) {
                vectors += try await client.embed(Array(texts[start..<min(start + 64, texts.count)]))
            }
            let store = try SQLiteStore(path: db)
            var generator = SplitMix(seed: 42)
            var written = 0
            var copy = 0
            let started = ContinuousClock.now
            while written < chunks {
                var vectorOffset = 0
                for (document, records) in sourceChunks where written < chunks {
                    let take = min(records.count, chunks - written)
                    let rename = Renamer(copy: copy, share: renamed)
                    let path = "copy-\(copy)/" + rename.apply(document.path)
                    let synthetic = records.prefix(take).map { record in
                        Chunk(ordinal: record.ordinal,
                              headingPath: record.heading.components(separatedBy: " › ").map(rename.apply),
                              text: rename.apply(record.text), firstLine: record.firstLine, lastLine: record.lastLine,
                              tokens: record.tokens)
                    }
                    let noisy = (0..<take).map { row in
                        Self.perturb(vectors[vectorOffset + row], noise: noise, generator: &generator)
                    }
                    vectorOffset += records.count
                    _ = try store.write(DocumentWrite(path: path, title: rename.apply(document.title), format: .markdown,
                                                      sha256: "\(copy)-\(document.sha256)", size: document.size,
                                                      chunker: document.chunker, chunks: synthetic, vectors: noisy),
                                        fingerprint: fingerprint)
                    written += take
                }
                copy += 1
                let seconds = Double(started.duration(to: .now).components.seconds)
                Output.note("\(written) chunks written (\(copy) copies, \(Int(seconds)) s)")
            }
            try store.checkpoint()
        }

        static func perturb(_ vector: [Float], noise: Float, generator: inout SplitMix) -> [Float] {
            var random = vector.map { _ in Float(generator.nextGaussian()) }
            let norm = random.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for index in random.indices { random[index] = vector[index] + noise * random[index] / norm }
            return random
        }
    }

    /// Renames rare words of one copy: identifiers and long words get a suffix naming the copy, or keep their name.
    struct Renamer {
        let copy: Int
        let share: Double

        func apply(_ text: String) -> String {
            guard copy > 0 else { return text }
            var out = ""
            var word = ""
            func flush() {
                if !word.isEmpty { out += isRare(word) && chosen(word) ? word + "q\(copy)" : word }
                word = ""
            }
            for character in text {
                if character.isLetter || character.isNumber || character == "_" { word.append(character) } else {
                    flush()
                    out.append(character)
                }
            }
            flush()
            return out
        }

        private func isRare(_ word: String) -> Bool {
            word.count >= 9 || word.contains("_") || word.dropFirst().contains(where: \.isUppercase)
                || (word.contains(where: \.isNumber) && word.contains(where: \.isLetter))
        }

        // The same word is renamed in the whole copy (or nowhere in it), decided by a hash of word and copy.
        private func chosen(_ word: String) -> Bool {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(copy) &* 0x9E37_79B9_7F4A_7C15
            for byte in word.lowercased().utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return Double(hash % 10_000) / 10_000 < share
        }
    }

    /// A small seeded generator, so a synthetic knowledge base can be rebuilt identically.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func nextGaussian() -> Double {
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
            let u2 = Double.random(in: 0..<1, using: &self)
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }
}
