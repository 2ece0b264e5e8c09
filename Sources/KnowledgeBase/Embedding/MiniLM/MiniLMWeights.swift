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
/// linear layer as PyTorch stores it, `[out × in]` row-major, used transposed; query, key and value fused into
/// one `[1152 × 384]` matrix.
final class MiniLMWeights: @unchecked Sendable {
    /// One encoder layer's tensors.
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

    /// Copies the tensors out of a validated safetensors file.
    ///
    /// - Throws: `MiniLMError.unexpectedTensor` when a tensor is missing or has another dtype or shape.
    init(_ file: SafeTensors) throws {
        typealias S = MiniLMShape
        let h = S.hidden
        var plan: [(name: String, shape: [Int], offset: Int)] = []
        var floats = 0
        func reserve(_ name: String, _ shape: [Int]) -> Int {
            let offset = floats
            plan.append((name, shape, offset))
            floats += (shape.reduce(1, *) + 15) / 16 * 16
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
            // query, key and value land next to each other: one [1152 × 384] matrix and one 1152 bias.
            let qkv = reserve(p + "attention.self.query.weight", [h, h])
            _ = reserve(p + "attention.self.key.weight", [h, h])
            _ = reserve(p + "attention.self.value.weight", [h, h])
            let qkvBias = reserve(p + "attention.self.query.bias", [h])
            _ = reserve(p + "attention.self.key.bias", [h])
            _ = reserve(p + "attention.self.value.bias", [h])
            layerOffsets.append([
                qkv, qkvBias,
                reserve(p + "attention.output.dense.weight", [h, h]), reserve(p + "attention.output.dense.bias", [h]),
                reserve(p + "attention.output.LayerNorm.weight", [h]),
                reserve(p + "attention.output.LayerNorm.bias", [h]),
                reserve(p + "intermediate.dense.weight", [S.intermediate, h]),
                reserve(p + "intermediate.dense.bias", [S.intermediate]),
                reserve(p + "output.dense.weight", [h, S.intermediate]), reserve(p + "output.dense.bias", [h]),
                reserve(p + "output.LayerNorm.weight", [h]), reserve(p + "output.LayerNorm.bias", [h]),
            ])
        }
        byteCount = floats * 4
        storage = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        let base = storage.bindMemory(to: Float.self, capacity: floats)
        do {
            for entry in plan { try file.copyFloats(entry.name, shape: entry.shape, into: base + entry.offset) }
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

    deinit {
        storage.deallocate()
    }
}
