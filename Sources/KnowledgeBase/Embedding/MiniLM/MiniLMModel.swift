import COpenBLAS
import Foundation
import Synchronization

/// all-MiniLM-L6-v2's forward pass on the CPU: embeddings, 6 BERT encoder layers, mean pooling, L2
/// normalisation, with every matrix product in `cblas_sgemm`.
///
/// Sequences are packed back to back, never padded: the linear layers and layer norms see one
/// `tokens × 384` matrix, and attention runs per sequence over its own tokens, so no work or mask goes to
/// padding. Work is split over `threads` workers while OpenBLAS itself runs single-threaded, which keeps the
/// element-wise steps parallel too: linear layers by blocks of rows, or, when there are too few rows for that to
/// pay, by blocks of output columns (so each worker packs only its part of the weights); attention by sequence and
/// group of heads.
final class MiniLMModel: Sendable {
    let weights: MiniLMWeights
    let workers: ParallelWorkers
    // Held for a whole pass: one pass at a time uses every worker, and owns the arena while it runs.
    private let arena = Mutex(Arena())
    /// Most rows of the token matrix per task in the linear layers. Each `cblas_sgemm` call packs its whole
    /// weight matrix first, which costs about as much as multiplying 50 rows by it, so blocks are large.
    static let maxRowBlock = 1024
    /// Fewer rows than this per worker, and the linear layers are split by output columns instead.
    static let minRowsPerWorker = 128

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
        let h = MiniLMShape.hidden
        let epsilon = MiniLMShape.layerNormEpsilon
        return arena.withLock { arena in
            let b = Workspace(batch: batch, workers: workers.count, arena: arena)
            embedTokens(batch, into: b.hidden)
            for layer in weights.layers {
                linear(batch, b.hidden, inputs: h, layer.qkvWeight, outputs: 3 * h, into: b.qkv, bias: layer.qkvBias)
                attend(batch: batch, buffers: b)
                // attended = LayerNorm(context · Wo + bo + hidden)
                linear(batch, b.context, inputs: h, layer.outputWeight, outputs: h, into: b.attended,
                       bias: layer.outputBias, residual: b.hidden) { rows in
                    let start = b.attended + rows.lowerBound * h
                    MiniLMKernels.layerNorm(start, start, rows: rows.count, width: h, gamma: layer.attentionNormGamma,
                                            beta: layer.attentionNormBeta, epsilon: epsilon)
                }
                // activations = GELU(attended · W1 + b1), in the space of the spent query/key/value
                let inner = MiniLMShape.intermediate
                linear(batch, b.attended, inputs: h, layer.intermediateWeight, outputs: inner, into: b.activations,
                       bias: layer.intermediateBias) { rows in
                    MiniLMKernels.gelu(b.activations + rows.lowerBound * inner, count: rows.count * inner)
                }
                // hidden = LayerNorm(activations · W2 + b2 + attended)
                linear(batch, b.activations, inputs: inner, layer.outWeight, outputs: h, into: b.hidden,
                       bias: layer.outBias, residual: b.attended) { rows in
                    let start = b.hidden + rows.lowerBound * h
                    MiniLMKernels.layerNorm(start, start, rows: rows.count, width: h, gamma: layer.outputNormGamma,
                                            beta: layer.outputNormBeta, epsilon: epsilon)
                }
            }
            return pool(batch, b.hidden, normalize: normalize)
        }
    }

    // MARK: stages

    private func embedTokens(_ batch: PackedBatch, into hidden: UnsafeMutablePointer<Float>) {
        let h = MiniLMShape.hidden
        workers.run(tasks: batch.rowBlocks.count) { task, _ in
            let rows = batch.rowBlocks[task]
            for row in rows {
                let destination = hidden + row * h
                let position = weights.positionEmbeddings + batch.positions[row] * h
                MiniLMKernels.add(weights.wordEmbeddings + Int(batch.ids[row]) * h, position, into: destination,
                                  count: h)
                MiniLMKernels.add(destination, weights.tokenTypeEmbedding, into: destination, count: h)
            }
            MiniLMKernels.layerNorm(hidden + rows.lowerBound * h, hidden + rows.lowerBound * h, rows: rows.count,
                                    width: h, gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta,
                                    epsilon: MiniLMShape.layerNormEpsilon)
        }
    }

    /// `output = input · weight + bias (+ residual)` for every token, then `epilogue` on whole rows.
    ///
    /// `weight` is `[inputs × outputs]`; `residual`, if any, is `tokens × outputs` like `output`.
    private func linear(_ batch: PackedBatch, _ input: UnsafePointer<Float>, inputs: Int,
                        _ weight: UnsafePointer<Float>, outputs: Int, into output: UnsafeMutablePointer<Float>,
                        bias: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil,
                        then epilogue: (Range<Int>) -> Void = { _ in }) {
        func prefill(rows: Range<Int>, columns: Range<Int>) {
            let first = columns.lowerBound
            for row in rows {
                let destination = output + row * outputs + first
                if let residual {
                    MiniLMKernels.add(residual + row * outputs + first, bias + first, into: destination,
                                      count: columns.count)
                } else {
                    destination.update(from: bias + first, count: columns.count)
                }
            }
        }
        func multiply(rows: Range<Int>, columns: Range<Int>) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows.count), Int32(columns.count),
                        Int32(inputs), 1, input + rows.lowerBound * inputs, Int32(inputs), weight + columns.lowerBound,
                        Int32(outputs), 1, output + rows.lowerBound * outputs + columns.lowerBound, Int32(outputs))
        }
        if batch.tokens >= workers.count * Self.minRowsPerWorker || workers.count == 1 {
            workers.run(tasks: batch.rowBlocks.count) { task, _ in
                let rows = batch.rowBlocks[task]
                prefill(rows: rows, columns: 0..<outputs)
                multiply(rows: rows, columns: 0..<outputs)
                epilogue(rows)
            }
            return
        }
        let width = (outputs / workers.count + 15) / 16 * 16
        let slices = stride(from: 0, to: outputs, by: width).map { $0..<min($0 + width, outputs) }
        workers.run(tasks: slices.count) { task, _ in
            prefill(rows: 0..<batch.tokens, columns: slices[task])
            multiply(rows: 0..<batch.tokens, columns: slices[task])
        }
        workers.run(tasks: batch.rowBlocks.count) { task, _ in epilogue(batch.rowBlocks[task]) }
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
}
