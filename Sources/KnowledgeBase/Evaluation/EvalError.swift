/// Why an evaluation could not run.
public enum EvalError: Error, Sendable, CustomStringConvertible {
    case cannotReadQuestions(path: String, reason: String)
    case noValidQuestions(path: String, malformed: Int)
    case cannotReadReport(path: String, reason: String)
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .cannotReadQuestions(let path, let reason):
            return "cannot read the question file \(path): \(reason). Give a JSON Lines file with one "
                + "{\"id\",\"question\",\"relevant\",\"answer_contains\",\"kind\"} object per line."
        case .noValidQuestions(let path, let malformed):
            return "\(path) holds no usable question (\(malformed) malformed lines, reported above); "
                + "each line must be one JSON object with at least \"id\" and \"question\"."
        case .cannotReadReport(let path, let reason):
            return "cannot use \(path) as an earlier report: \(reason). Give a file written by "
                + "`kb eval --out FILE` or `kb eval --json`."
        case .invalidSetting(let message):
            return message
        }
    }
}
