/// How the in-memory index stores each component of a vector. The SQLite store always keeps float32.
public enum IndexPrecision: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// IEEE single precision, 4 bytes a component: scores are the exact cosines of the stored vectors.
    case fp32
    /// IEEE half precision, 2 bytes a component: half the memory, and half the bytes each query streams. Components
    /// are rounded to nearest (11 significant bits) after normalisation, so a score moves by less than 2⁻¹¹ ≈ 4.9e-4
    /// (the relative rounding error times Σ|qᵢrᵢ| ≤ 1), typically by 1e-5.
    case fp16

    /// Bytes one vector component takes in memory.
    public var bytesPerComponent: Int {
        switch self {
        case .fp32: 4
        case .fp16: 2
        }
    }

    public var description: String { rawValue }
}
