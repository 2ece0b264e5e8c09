import Foundation

/// The shape of all-MiniLM-L6-v2 (BERT, uncased), checked against the model's `config.json`.
struct MiniLMShape: Sendable {
    static let hidden = 384
    static let heads = 12
    static let headWidth = hidden / heads
    static let layers = 6
    static let intermediate = 1536
    static let vocabulary = 30_522
    static let maxPositions = 512
    static let layerNormEpsilon: Float = 1e-12

    /// Fails unless `config.json` describes this architecture.
    ///
    /// - Throws: `MiniLMError.invalidModelFile`, or `.modelMissing` when the file cannot be read.
    static func check(configAt url: URL) throws {
        guard let data = try? Data(contentsOf: url) else {
            throw MiniLMError.modelMissing(directory: url.deletingLastPathComponent().path, file: url.lastPathComponent)
        }
        guard let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MiniLMError.invalidModelFile(file: url.path, reason: "it is not a JSON object")
        }
        let expected: [(String, Any)] = [
            ("hidden_size", hidden), ("num_attention_heads", heads), ("num_hidden_layers", layers),
            ("intermediate_size", intermediate), ("vocab_size", vocabulary), ("max_position_embeddings", maxPositions),
            ("hidden_act", "gelu"), ("layer_norm_eps", 1e-12),
        ]
        for (key, value) in expected where "\(config[key] ?? "nothing")" != "\(value)" {
            throw MiniLMError.invalidModelFile(file: url.path, reason: "\(key) is \(config[key] ?? "missing"), but "
                + "all-MiniLM-L6-v2 has \(value); this is not the model kb's built-in embedder runs")
        }
    }
}

/// The weights of all-MiniLM-L6-v2 in one 64-byte-aligned Float32 buffer, laid out for `cblas_sgemm`: every
/// linear layer transposed from PyTorch's `[out × in]` to `[in × out]` row-major (OpenBLAS packs that layout
/// faster: 10 to 25 % on the few-row products of short texts), with query, key and value fused into one
/// `[384 × 1152]` matrix.
final class MiniLMWeights: @unchecked Sendable {
    /// One encoder layer's tensors; the `…Weight` matrices are `[in × out]`.
    struct Layer {
        var qkvWeight: UnsafePointer<Float>
        var qkvBias: UnsafePointer<Float>
        var outputWeight: UnsafePointer<Float>
        var outputBias: UnsafePointer<Float>
        var attentionNormGamma: UnsafePointer<Float>
        var attentionNormBeta: UnsafePointer<Float>
        var intermediateWeight: UnsafePointer<Float>
        var intermediateBias: UnsafePointer<Float>
        var outWeight: UnsafePointer<Float>
        var outBias: UnsafePointer<Float>
        var outputNormGamma: UnsafePointer<Float>
        var outputNormBeta: UnsafePointer<Float>
    }

    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    /// Token type 0: kb embeds single texts, never pairs.
    let tokenTypeEmbedding: UnsafePointer<Float>
    let embeddingNormGamma: UnsafePointer<Float>
    let embeddingNormBeta: UnsafePointer<Float>
    let layers: [Layer]
    private let storage: UnsafeMutableRawPointer
    /// Bytes held, for logs.
    let byteCount: Int

    /// Where a tensor goes: copied as stored, or transposed into columns `firstColumn…` of a matrix `columns`
    /// wide.
    private struct Placement {
        var name: String
        var shape: [Int]
        var offset: Int
        var transposed: (columns: Int, firstColumn: Int)?
    }

    /// Copies the tensors out of a validated safetensors file.
    ///
    /// - Throws: `MiniLMError.unexpectedTensor` when a tensor is missing or has another dtype or shape.
    init(_ file: SafeTensors) throws {
        typealias S = MiniLMShape
        let h = S.hidden
        var plan: [Placement] = []
        var floats = 0
        func region(_ count: Int) -> Int {
            defer { floats += (count + 15) / 16 * 16 }
            return floats
        }
        func reserve(_ name: String, _ shape: [Int]) -> Int {
            let offset = region(shape.reduce(1, *))
            plan.append(Placement(name: name, shape: shape, offset: offset))
            return offset
        }
        /// `[out × in]` tensors side by side as one `[in × Σout]` matrix.
        func transposed(_ names: [String], out: Int, in inputs: Int) -> Int {
            let offset = region(inputs * out * names.count)
            for (index, name) in names.enumerated() {
                plan.append(Placement(name: name, shape: [out, inputs], offset: offset,
                                      transposed: (out * names.count, index * out)))
            }
            return offset
        }
        let word = reserve("embeddings.word_embeddings.weight", [S.vocabulary, h])
        let position = reserve("embeddings.position_embeddings.weight", [S.maxPositions, h])
        let tokenType = reserve("embeddings.token_type_embeddings.weight", [2, h])
        let gamma = reserve("embeddings.LayerNorm.weight", [h])
        let beta = reserve("embeddings.LayerNorm.bias", [h])
        var layerOffsets: [[Int]] = []
        for index in 0..<S.layers {
            let p = "encoder.layer.\(index)."
            let qkv = transposed(["query", "key", "value"].map { p + "attention.self.\($0).weight" }, out: h, in: h)
            let qkvBias = reserve(p + "attention.self.query.bias", [h])
            _ = reserve(p + "attention.self.key.bias", [h])  // biases are 384 floats: they land back to back
            _ = reserve(p + "attention.self.value.bias", [h])
            layerOffsets.append([
                qkv, qkvBias,
                transposed([p + "attention.output.dense.weight"], out: h, in: h),
                reserve(p + "attention.output.dense.bias", [h]),
                reserve(p + "attention.output.LayerNorm.weight", [h]),
                reserve(p + "attention.output.LayerNorm.bias", [h]),
                transposed([p + "intermediate.dense.weight"], out: S.intermediate, in: h),
                reserve(p + "intermediate.dense.bias", [S.intermediate]),
                transposed([p + "output.dense.weight"], out: h, in: S.intermediate),
                reserve(p + "output.dense.bias", [h]),
                reserve(p + "output.LayerNorm.weight", [h]), reserve(p + "output.LayerNorm.bias", [h]),
            ])
        }
        byteCount = floats * 4
        storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        let base = storage.bindMemory(to: Float.self, capacity: floats)
        do {
            try Self.load(plan, from: file, into: base)
        } catch {
            storage.deallocate()
            throw error
        }
        func at(_ offset: Int) -> UnsafePointer<Float> { UnsafePointer(base + offset) }
        wordEmbeddings = at(word)
        positionEmbeddings = at(position)
        tokenTypeEmbedding = at(tokenType)
        embeddingNormGamma = at(gamma)
        embeddingNormBeta = at(beta)
        layers = layerOffsets.map { o in
            Layer(qkvWeight: at(o[0]), qkvBias: at(o[1]), outputWeight: at(o[2]), outputBias: at(o[3]),
                  attentionNormGamma: at(o[4]), attentionNormBeta: at(o[5]), intermediateWeight: at(o[6]),
                  intermediateBias: at(o[7]), outWeight: at(o[8]), outBias: at(o[9]), outputNormGamma: at(o[10]),
                  outputNormBeta: at(o[11]))
        }
    }

    private static func load(_ plan: [Placement], from file: SafeTensors, into base: UnsafeMutablePointer<Float>) throws {
        let largest = plan.filter { $0.transposed != nil }.map { $0.shape.reduce(1, *) }.max() ?? 0
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: max(1, largest))
        defer { staging.deallocate() }
        for entry in plan {
            guard let (columns, firstColumn) = entry.transposed else {
                try file.copyFloats(entry.name, shape: entry.shape, into: base + entry.offset)
                continue
            }
            try file.copyFloats(entry.name, shape: entry.shape, into: staging)
            let (rows, inputs) = (entry.shape[0], entry.shape[1])
            let destination = base + entry.offset + firstColumn
            for row in 0..<rows {
                for input in 0..<inputs { destination[input * columns + row] = staging[row * inputs + input] }
            }
        }
    }

    deinit {
        storage.deallocate()
    }
}
