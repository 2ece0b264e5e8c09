/// Identifies the vector space of an index: which embedder and model made the vectors, and their dimension.
///
/// Vectors are only comparable within one fingerprint; mixing two is refused, never done silently.
public struct EmbeddingFingerprint: Sendable, Equatable, Codable, CustomStringConvertible {
    /// `hash` or `ollama`.
    public var embedder: String
    /// Model name as the embedder knows it (`all-minilm`, `hash-v1`).
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

    /// The key stored with each vector and cache entry.
    public var key: String { "\(embedder):\(model):\(dimension)\(normalized ? ":l2" : "")" }

    public var description: String { "\(embedder) embedder, model \(model), \(dimension) dimensions" }

    /// True when vectors from `other` can be compared with these.
    public func isCompatible(with other: EmbeddingFingerprint) -> Bool {
        embedder == other.embedder && model == other.model && dimension == other.dimension
    }
}
