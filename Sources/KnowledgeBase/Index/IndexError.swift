/// Errors from adding to or searching the vector index.
public enum IndexError: Error, Sendable, CustomStringConvertible {
    case dimensionMismatch(expected: Int, got: Int, what: String)
    case notFinite(what: String)

    public var description: String {
        switch self {
        case .dimensionMismatch(let expected, let got, let what):
            return "\(what) has \(got) dimensions but the index holds \(expected)-dimensional vectors; "
                + "the embedder must match the one the index was built with (see `kb stats`)."
        case .notFinite(let what):
            return "\(what) contains NaN or infinite values; the embedder returned a broken vector."
        }
    }
}
