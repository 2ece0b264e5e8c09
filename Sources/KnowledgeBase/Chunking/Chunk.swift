/// Source formats kb reads.
public enum DocumentFormat: String, Sendable, Codable, CaseIterable {
    case markdown
    case text

    /// The format for a file name by its extension (`.md`, `.markdown`, `.txt`), or nil for anything else.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") {
            self = .markdown
        } else if lower.hasSuffix(".txt") {
            self = .text
        } else {
            return nil
        }
    }
}

/// A piece of a document small enough to embed whole, with where it came from.
public struct Chunk: Sendable, Equatable {
    /// Position in the document, from 0.
    public var ordinal: Int
    /// Headings above the chunk, outermost first (`["Disk full", "Diagnosis"]`).
    public var headingPath: [String]
    public var text: String
    /// 1-based line numbers of the chunk's first and last source line.
    public var firstLine: Int
    public var lastLine: Int
    /// Estimated tokens of the embedded text (context prefix included).
    public var tokens: Int

    public init(ordinal: Int, headingPath: [String], text: String, firstLine: Int, lastLine: Int, tokens: Int) {
        self.ordinal = ordinal
        self.headingPath = headingPath
        self.text = text
        self.firstLine = firstLine
        self.lastLine = lastLine
        self.tokens = tokens
    }

    /// The heading path as shown to people: `Disk full › Diagnosis`.
    public var heading: String { headingPath.joined(separator: " › ") }
}

/// What is embedded for a chunk: the document's name and heading path in front of its text.
///
/// A runbook's file name usually carries the alert name (`KubePodCrashLooping.md`), which the text itself
/// often never repeats; putting it in front lets a question about the alert find every section of its runbook.
public enum EmbeddingText {
    /// The context line for a chunk of the document at `path` under `heading`.
    public static func prefix(path: String, heading: String) -> String {
        let stem = fileStem(path)
        if heading.isEmpty { return stem }
        let normalisedStem = stem.lowercased().filter { $0.isLetter || $0.isNumber }
        let firstHeading = heading.components(separatedBy: " › ")[0].lowercased().filter { $0.isLetter || $0.isNumber }
        return normalisedStem == firstHeading ? heading : "\(stem) › \(heading)"
    }

    /// The full text to embed.
    public static func make(path: String, heading: String, text: String) -> String {
        "\(prefix(path: path, heading: heading))\n\(text)"
    }

    /// `KubeJobFailed` for `alerts/KubeJobFailed.md`.
    public static func fileStem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
