import Foundation
import Logging
import Synchronization

/// all-MiniLM-L6-v2 in-process: the model Ollama serves as `all-minilm`, run on OpenBLAS, with no server.
///
/// Its vectors match Ollama's `all-minilm` (cosine ≥ 0.9999 against Ollama's fp16 weights, ≥ 0.99999 against
/// the fp32 reference), so an index built with one can be queried with the other: both have the same
/// fingerprint key. Texts longer than the model's 512 tokens are cut to 512 and the cut is logged; kb's chunker
/// keeps chunks under the limit, so only long questions or outside callers meet it.
///
/// Loading it sets OpenBLAS to one thread for the whole process: the model splits its work over its own workers.
public final class BuiltinEmbedder: EmbeddingClient {
    public static let kindName = "builtin"
    public static let modelName = "all-minilm-l6-v2"

    public let kind = BuiltinEmbedder.kindName
    public let model = BuiltinEmbedder.modelName
    public let contextTokens = MiniLMShape.maxPositions
    public let preferredBatchSize: Int
    /// Two batches in flight: one is tokenised while the other runs through the model.
    public let maxConcurrentRequests = 2
    public let tokenizer: WordPieceTokenizer
    public let threads: Int
    /// Most tokens per forward pass; a batch with more is run in several passes, shortest texts first.
    public let tokensPerPass: Int

    let network: MiniLMModel
    private let passes: Passes
    private let pool: BlockingPool
    /// Concurrent `embed` calls (questions from many HTTP requests) share forward passes.
    let coalescer: BatchCoalescer<String, [Float]>

    /// Loads the model from `locator`'s directory after checking its files.
    ///
    /// - Parameters:
    ///   - threads: workers per forward pass; default: the machine's active processors.
    ///   - batchSize: texts per `embed` call that `BatchEmbedder` and the ingester send.
    /// - Throws: `MiniLMError` when the model is missing, corrupt or not all-MiniLM-L6-v2, saying how to fetch it.
    ///   - pool: where forward passes run (they block for up to seconds); when it is full, `embed` throws
    ///     `BlockingPoolError.saturated` at once.
    public init(locator: ModelLocator, threads: Int? = nil, batchSize: Int = 64, tokensPerPass: Int = 4096,
                pool: BlockingPool = .shared, logger: Logger) throws {
        let started = ContinuousClock.now
        try locator.verify()
        self.tokenizer = try WordPieceTokenizer(vocabularyFile: locator.url("vocab.txt"))
        guard tokenizer.vocabularySize == MiniLMShape.vocabulary else {
            throw MiniLMError.invalidModelFile(file: locator.url("vocab.txt").path, reason: "it has "
                + "\(tokenizer.vocabularySize) tokens, all-MiniLM-L6-v2 has \(MiniLMShape.vocabulary)")
        }
        self.threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.network = try MiniLMModel(directory: locator.directory, threads: self.threads)
        self.preferredBatchSize = max(1, batchSize)
        self.tokensPerPass = max(MiniLMShape.maxPositions, tokensPerPass)
        let passes = Passes(tokenizer: tokenizer, network: network, tokensPerPass: self.tokensPerPass,
                            logger: logger)
        self.passes = passes
        self.pool = pool
        // Weighted by the token estimate (the real count needs the tokenizer, which runs inside the batch), plus
        // [CLS] and [SEP].
        self.coalescer = BatchCoalescer(pool: pool, maxWeight: self.tokensPerPass,
                                        weight: { min(MiniLMShape.maxPositions, TokenEstimator.count($0) + 2) },
                                        operation: passes.embed(texts:))
        logger.info("built-in embedder loaded", metadata: [
            "model.dir": "\(locator.directory.path)", "model.threads": "\(self.threads)",
            "model.bytes": "\(network.weights.byteCount)", "duration_ms": "\(started.duration(to: .now).milliseconds)",
        ])
    }

    /// Texts cut to 512 tokens so far.
    public var truncatedTexts: Int { passes.cut.load(ordering: .relaxed) }

    public func tokenCount(_ text: String) -> Int? { tokenizer.tokenCount(text) }

    /// Calls of at most this many texts (questions) are coalesced; larger ones (document batches) run on their own,
    /// so a question never waits for a whole batch of chunks and two ingest batches still overlap.
    static let coalescedTexts = 4

    /// Forward passes run on the blocking pool (they block for up to seconds), never on Swift's cooperative pool.
    /// Calls of a few texts made while a pass runs are embedded together in the next one (`BatchCoalescer`): eight
    /// questions asked at once share one pass instead of queueing for eight.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        guard texts.count > Self.coalescedTexts else { return try await coalescer.run(texts) }
        return try await pool.run { [passes] _ in passes.embed(texts: texts) }
    }

    /// Batches of `embed` calls run so far (fewer than the calls when concurrent calls were coalesced).
    public var coalescedBatches: Int { coalescer.batchesRun }

    /// Embeds `texts` on the calling thread: L2-normalised vectors in the order of `texts`.
    public func embedBlocking(_ texts: [String]) -> [[Float]] {
        passes.embed(texts: texts)
    }

    /// Embeds token id sequences (each `[CLS] … [SEP]`, 1 to 512 long); `normalize: false` gives the raw
    /// mean-pooled vectors, as Ollama's legacy `/api/embeddings` returns them.
    public func embed(ids sequences: [[Int32]], normalize: Bool = true) -> [[Float]] {
        passes.embed(ids: sequences, normalize: normalize)
    }

    /// `[CLS] ids [SEP]` for `text`, cut to 512 tokens (logged).
    public func modelInput(_ text: String) -> [Int32] { passes.modelInput(text) }

    /// The blocking work, apart from the embedder so that its coalescer can call it.
    private final class Passes: Sendable {
        let tokenizer: WordPieceTokenizer
        let network: MiniLMModel
        let tokensPerPass: Int
        let logger: Logger
        let cut = Atomic<Int>(0)

        init(tokenizer: WordPieceTokenizer, network: MiniLMModel, tokensPerPass: Int, logger: Logger) {
            self.tokenizer = tokenizer
            self.network = network
            self.tokensPerPass = tokensPerPass
            self.logger = logger
        }

        func embed(texts: [String]) -> [[Float]] {
            embed(ids: texts.map(modelInput))
        }

        func embed(ids sequences: [[Int32]], normalize: Bool = true) -> [[Float]] {
            var vectors = [[Float]](repeating: [], count: sequences.count)
            // Sorted by length, so each pass holds texts of similar size; packing means no padding either way.
            let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
            var start = 0
            while start < order.count {
                var end = start
                var tokens = 0
                while end < order.count, end == start || tokens + sequences[order[end]].count <= tokensPerPass {
                    tokens += sequences[order[end]].count
                    end += 1
                }
                let pass = order[start..<end].map { sequences[$0] }
                // Passes from concurrent calls take turns inside the model: one pass already uses every worker.
                let output = network.embed(pass, normalize: normalize)
                for (index, vector) in zip(order[start..<end], output) { vectors[index] = vector }
                start = end
            }
            return vectors
        }

        func modelInput(_ text: String) -> [Int32] {
            let contextTokens = MiniLMShape.maxPositions
            let (ids, length) = tokenizer.modelInput(text, maxTokens: contextTokens)
            if length > contextTokens {
                cut.add(1, ordering: .relaxed)
                logger.warning("text cut to the model's context", metadata: [
                    "text.tokens": "\(length)", "model.context": "\(contextTokens)",
                    "text.start": "\(text.prefix(60))",
                ])
            }
            return ids
        }
    }
}
