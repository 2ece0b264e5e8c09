/// Identifies the vector space of an index: which embedder and model made the vectors, and their dimension.
///
/// Vectors are only comparable within one vector space; mixing two is refused, never done silently. Two
/// embedders running the same model share one: the built-in all-MiniLM-L6-v2 and Ollama's `all-minilm` have
/// the same `identity` and `key`, so an index built with one is queried and extended with the other.
public struct EmbeddingFingerprint: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `hash`, `ollama` or `builtin`.
    public var embedder: String
    /// Model name as the embedder knows it (`all-minilm`, `hash-v1`, `all-minilm-l6-v2`).
    public var model: String
    public var dimension: Int
    /// Vectors are L2-normalised before they are stored (always true for kb).
    public var normalized: Bool

    public init(embedder: String, model: String, dimension: Int, normalized: Bool = true) {
        self.embedder = embedder
        self.model = model
        self.dimension = dimension
        self.normalized = normalized
    }

    /// The model behind the vectors, whichever embedder ran it: `embedder:model`, except that the built-in
    /// all-MiniLM-L6-v2 is `ollama:all-minilm`, the identity indexes built through Ollama already carry.
    public var identity: String { Self.identity(embedder: embedder, model: model) }

    /// The identity of `model` run by `embedder` (see `identity`).
    public static func identity(embedder: String, model: String) -> String {
        if embedder == BuiltinEmbedder.kindName && model == BuiltinEmbedder.modelName { return "ollama:all-minilm" }
        return "\(embedder):\(model)"
    }

    /// The key stored with each vector and cache entry; unchanged from earlier kb versions for `hash` and
    /// `ollama`, and equal for the built-in model and Ollama's `all-minilm`.
    public var key: String { "\(identity):\(dimension)\(normalized ? ":l2" : "")" }

    public var description: String { "\(embedder) embedder, model \(model), \(dimension) dimensions" }

    /// True when vectors from `other` can be compared with these (same model; a dimension of 0 is not known
    /// yet and matches any).
    public func isCompatible(with other: EmbeddingFingerprint) -> Bool {
        identity == other.identity
            && (dimension == other.dimension || dimension == 0 || other.dimension == 0)
            && normalized == other.normalized
    }
}
