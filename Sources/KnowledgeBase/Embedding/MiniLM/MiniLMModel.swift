import COpenBLAS
import Foundation
import Synchronization

/// all-MiniLM-L6-v2's forward pass on the CPU: embeddings, 6 BERT encoder layers, mean pooling, L2
/// normalisation, with every matrix product in `cblas_sgemm`.
///
/// Sequences are packed back to back, never padded: the linear layers and layer norms see one
/// `tokens × 384` matrix, and attention runs per sequence over its own tokens, so no work or mask goes to
/// padding. Work is split over `threads` workers (row blocks for the linear layers, sequence × head groups
/// for attention) while OpenBLAS itself runs single-threaded, which keeps the element-wise steps parallel too.
final class MiniLMModel: Sendable {
    let weights: MiniLMWeights
    let workers: ParallelWorkers
    // Held for a whole pass: one pass at a time uses every worker, and owns the arena while it runs.
    private let arena = Mutex(Arena())
    /// Most rows of the token matrix per task in the linear layers. Each `cblas_sgemm` call packs its whole
    /// weight matrix first, which costs as much as multiplying about 50 rows by it, so blocks are large; the
    /// feed-forward activations of a block (6 MB at this size) then live in L3 or memory, which costs far less.
    static let maxRowBlock = 1024

    /// Loads and checks the weights from `model.safetensors` and `config.json` in `directory`.
    ///
    /// - Parameter threads: workers for one forward pass (at least 1).
    /// - Throws: `MiniLMError`.
    init(directory: URL, threads: Int) throws {
        try MiniLMShape.check(configAt: directory.appendingPathComponent("config.json"))
        let file = try SafeTensors(url: directory.appendingPathComponent("model.safetensors"))
        self.weights = try MiniLMWeights(file)
        self.workers = ParallelWorkers(count: threads)
        // Parallelism comes from our workers; OpenBLAS threads of its own would contend with them (measured: a
        // pass took 2.2 times as long). The setting is process-wide, so it is made once, before any pass.
        openblas_set_num_threads(1)
    }

    /// Mean-pooled embeddings of `sequences` (ids with [CLS]/[SEP], each 1 to 512 long), L2-normalised if
    /// `normalize`. An empty list gives an empty result; a sequence out of those bounds, or an id outside the
    /// vocabulary, stops the process (a programming error: the tokenizer never makes one).
    func embed(_ sequences: [[Int32]], normalize: Bool = true) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        precondition(sequences.allSatisfy { (1...MiniLMShape.maxPositions).contains($0.count) },
                     "a sequence must hold 1 to 512 tokens")
        precondition(sequences.allSatisfy { $0.allSatisfy { (0..<Int32(MiniLMShape.vocabulary)).contains($0) } },
                     "a token id is outside the vocabulary")
        let batch = PackedBatch(sequences, workers: workers.count)
        return arena.withLock { arena in
            let buffers = Workspace(batch: batch, workers: workers.count, arena: arena)
            embedTokens(batch, into: buffers.hidden)
            for layer in weights.layers {
                projectQKV(layer, batch: batch, buffers: buffers)
                attend(batch: batch, buffers: buffers)
                feedForward(layer, batch: batch, buffers: buffers)
            }
            return pool(batch, buffers.hidden, normalize: normalize)
        }
    }

    // MARK: stages

    private func embedTokens(_ batch: PackedBatch, into hidden: UnsafeMutablePointer<Float>) {
        let h = MiniLMShape.hidden
        workers.run(tasks: batch.rowBlocks.count) { task, _ in
            let rows = batch.rowBlocks[task]
            for row in rows {
                let destination = hidden + row * h
                let id = Int(batch.ids[row])
                let position = weights.positionEmbeddings + batch.positions[row] * h
                MiniLMKernels.add(weights.wordEmbeddings + id * h, position, into: destination, count: h)
                MiniLMKernels.add(destination, weights.tokenTypeEmbedding, into: destination, count: h)
            }
            MiniLMKernels.layerNorm(hidden + rows.lowerBound * h, hidden + rows.lowerBound * h, rows: rows.count,
                                    width: h, gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta,
                                    epsilon: MiniLMShape.layerNormEpsilon)
        }
    }

    private func projectQKV(_ layer: MiniLMWeights.Layer, batch: PackedBatch, buffers: Workspace) {
        let h = MiniLMShape.hidden
        let width = 3 * h
        workers.run(tasks: batch.rowBlocks.count) { task, _ in
            let rows = batch.rowBlocks[task]
            let output = buffers.qkv + rows.lowerBound * width
            Self.broadcast(layer.qkvBias, width: width, rows: rows.count, into: output)
            Self.linear(buffers.hidden + rows.lowerBound * h, rows: rows.count, inputs: h, weight: layer.qkvWeight,
                        outputs: width, into: output)
        }
    }

    private func attend(batch: PackedBatch, buffers: Workspace) {
        let h = MiniLMShape.hidden
        let width = MiniLMShape.headWidth
        let stride = 3 * h
        let scale = 1 / Float(width).squareRoot()
        // Few sequences: split each one's heads over tasks so every worker has some.
        let headsPerTask = batch.count >= 4 * workers.count ? MiniLMShape.heads : 2
        let groups = MiniLMShape.heads / headsPerTask
        workers.run(tasks: batch.count * groups) { task, worker in
            let sequence = batch.longestFirst[task / groups]
            let firstHead = (task % groups) * headsPerTask
            let start = batch.starts[sequence]
            let length = Int32(batch.lengths[sequence])
            // Score rows start on 64-byte boundaries.
            let padded = Int32(Workspace.paddedLength(Int(length)))
            let scores = buffers.scores(worker)
            for head in firstHead..<firstHead + headsPerTask {
                let query = buffers.qkv + start * stride + head * width
                let key = query + h
                let value = query + 2 * h
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, length, length, Int32(width), scale,
                            query, Int32(stride), key, Int32(stride), 0, scores, padded)
                MiniLMKernels.softmaxRows(scores, rows: Int(length), columns: Int(length), stride: Int(padded))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, length, Int32(width), length, 1,
                            scores, padded, value, Int32(stride), 0, buffers.context + start * h + head * width,
                            Int32(h))
            }
        }
    }

    private func feedForward(_ layer: MiniLMWeights.Layer, batch: PackedBatch, buffers: Workspace) {
        let h = MiniLMShape.hidden
        let inner = MiniLMShape.intermediate
        let epsilon = MiniLMShape.layerNormEpsilon
        workers.run(tasks: batch.rowBlocks.count) { task, worker in
            let rows = batch.rowBlocks[task]
            let count = rows.count
            let hidden = buffers.hidden + rows.lowerBound * h
            let attended = buffers.attended(worker)
            let activations = buffers.activations(worker)
            // attended = LayerNorm(context · Woᵀ + bo + hidden)
            for row in 0..<count {
                MiniLMKernels.add(hidden + row * h, layer.outputBias, into: attended + row * h, count: h)
            }
            Self.linear(buffers.context + rows.lowerBound * h, rows: count, inputs: h, weight: layer.outputWeight,
                        outputs: h, into: attended)
            MiniLMKernels.layerNorm(attended, attended, rows: count, width: h, gamma: layer.attentionNormGamma,
                                    beta: layer.attentionNormBeta, epsilon: epsilon)
            // hidden = LayerNorm(GELU(attended · W1ᵀ + b1) · W2ᵀ + b2 + attended)
            Self.broadcast(layer.intermediateBias, width: inner, rows: count, into: activations)
            Self.linear(attended, rows: count, inputs: h, weight: layer.intermediateWeight, outputs: inner,
                        into: activations)
            MiniLMKernels.gelu(activations, count: count * inner)
            for row in 0..<count {
                MiniLMKernels.add(attended + row * h, layer.outBias, into: hidden + row * h, count: h)
            }
            Self.linear(activations, rows: count, inputs: inner, weight: layer.outWeight, outputs: h, into: hidden)
            MiniLMKernels.layerNorm(hidden, hidden, rows: count, width: h, gamma: layer.outputNormGamma,
                                    beta: layer.outputNormBeta, epsilon: epsilon)
        }
    }

    private func pool(_ batch: PackedBatch, _ hidden: UnsafeMutablePointer<Float>, normalize: Bool) -> [[Float]] {
        let h = MiniLMShape.hidden
        return (0..<batch.count).map { sequence in
            var sum = [Float](repeating: 0, count: h)
            let start = batch.starts[sequence]
            sum.withUnsafeMutableBufferPointer { sum in
                for row in start..<start + batch.lengths[sequence] {
                    MiniLMKernels.add(sum.baseAddress!, hidden + row * h, into: sum.baseAddress!, count: h)
                }
            }
            let scale = 1 / Float(batch.lengths[sequence])
            var vector = sum.map { $0 * scale }
            if normalize { l2Normalise(&vector) }
            return vector
        }
    }

    // MARK: helpers

    /// `output[rows × outputs] += input[rows × inputs] · weightᵀ`, with `weight` stored `[outputs × inputs]`.
    @inline(__always)
    static func linear(_ input: UnsafePointer<Float>, rows: Int, inputs: Int, weight: UnsafePointer<Float>,
                       outputs: Int, into output: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(outputs), Int32(inputs), 1,
                    input, Int32(inputs), weight, Int32(inputs), 1, output, Int32(outputs))
    }

    /// Copies the `width`-long `row` into each of `rows` rows of `output`.
    @inline(__always)
    static func broadcast(_ row: UnsafePointer<Float>, width: Int, rows: Int,
                          into output: UnsafeMutablePointer<Float>) {
        for index in 0..<rows { (output + index * width).update(from: row, count: width) }
    }
}
