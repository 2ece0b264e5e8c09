/// A document a question should retrieve: a path suffix, optionally narrowed to a heading (`path#heading`).
///
/// A chunk matches when its document path ends with `path` at a `/` boundary (or equals it) and, with a heading,
/// its heading path contains that heading (case-insensitively). Ground truth by path and heading survives
/// re-chunking.
public struct RelevantTarget: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var path: String
    public var heading: String?

    public init(path: String, heading: String? = nil) {
        self.path = path
        self.heading = heading
    }

    /// Reads `path` or `path#heading`.
    public init(parsing text: String) {
        if let hash = text.firstIndex(of: "#") {
            let heading = text[text.index(after: hash)...].trimmingCharacters(in: .whitespaces)
            self.init(path: String(text[..<hash]), heading: heading.isEmpty ? nil : heading)
        } else {
            self.init(path: text)
        }
    }

    public var description: String { heading.map { "\(path)#\($0)" } ?? path }

    /// True when the document at `documentPath` is this target's document.
    public func matchesDocument(_ documentPath: String) -> Bool {
        let suffix = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        guard !suffix.isEmpty else { return false }
        if documentPath == suffix { return true }
        let bare = suffix.hasPrefix("/") ? String(suffix.dropFirst()) : suffix
        return documentPath.hasSuffix("/" + bare) || documentPath == bare
    }

    /// True when a chunk of `documentPath` under `headingPath` ("A › B") is relevant.
    public func matches(path documentPath: String, heading headingPath: String) -> Bool {
        guard matchesDocument(documentPath) else { return false }
        guard let heading else { return true }
        return headingPath.localizedLowercase.contains(heading.localizedLowercase)
    }
}
