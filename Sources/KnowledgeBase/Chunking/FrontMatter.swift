/// YAML front matter at the top of a Markdown file, split from the text it describes.
///
/// Front matter starts when the first line is `---` (after an optional byte-order mark) and ends at the next line
/// that is `---` or `...`; spaces or tabs after the fence are ignored. Without a closing line the opening `---` is a
/// Markdown horizontal rule, so the text has no front matter. The YAML subset read is described in
/// `FrontMatterParser`.
public struct FrontMatter: Sendable, Equatable {
    /// The top-level keys; empty when there is no front matter.
    public var metadata: [String: MetadataValue]
    /// The text with each front matter line (fences included) replaced by an empty line, so line N of `body` is
    /// line N of the file. The whole text, unchanged, when there is no front matter.
    public var body: String
    /// How many lines the front matter takes, fences included; 0 when there is none.
    public var lineCount: Int

    public init(metadata: [String: MetadataValue] = [:], body: String, lineCount: Int = 0) {
        self.metadata = metadata
        self.body = body
        self.lineCount = lineCount
    }

    /// Whether the text had front matter (possibly with no keys).
    public var isPresent: Bool { lineCount > 0 }

    /// Splits `text` into its front matter and its body.
    ///
    /// Text without front matter comes back unchanged as the body, with empty metadata.
    /// - Throws: `FrontMatterError` naming the file line when the front matter is not valid YAML of the supported
    ///   subset, has a duplicate or empty key, or is not a mapping.
    public static func split(_ text: String) throws -> FrontMatter {
        var rest = Substring(text)
        if rest.hasPrefix("\u{FEFF}") { rest = rest.dropFirst() }
        let opening = nextLine(in: rest, from: rest.startIndex)
        guard isFence(opening.text, closers: ["---"]) else { return FrontMatter(body: text) }
        var lines: [FrontMatterLine] = []
        var cursor = opening.next
        var number = 1
        while let start = cursor {
            let line = nextLine(in: rest, from: start)
            number += 1
            if isFence(line.text, closers: ["---", "..."]) {
                let remainder = line.next.map { String(rest[$0...]) } ?? ""
                // A closing fence on the last line has no terminator, so one fewer newline keeps the count.
                let blanks = line.next == nil ? number - 1 : number
                var parser = FrontMatterParser(lines: lines)
                let metadata = try parser.parse()
                return FrontMatter(metadata: metadata, body: String(repeating: "\n", count: blanks) + remainder,
                                   lineCount: number)
            }
            lines.append(FrontMatterLine(number: number, text: line.text))
            cursor = line.next
        }
        return FrontMatter(body: text)
    }

    /// The metadata as a compact JSON object with sorted keys, as the store keeps it (`{}` when empty).
    public static func json(_ metadata: [String: MetadataValue]) -> String {
        MetadataJSON.render(.map(metadata))
    }

    /// Metadata read back from `json`'s output; empty for text that is not a JSON object.
    public static func parseJSON(_ text: String) -> [String: MetadataValue] {
        guard case .map(let map)? = MetadataJSON.parse(text) else { return [:] }
        return map
    }

    // One line without its terminator, and where the next one starts (nil after the last line).
    private static func nextLine(in text: Substring, from start: String.Index)
        -> (text: Substring, next: String.Index?)
    {
        // Swift treats "\r\n" as one Character, so this splits lines exactly as `Chunker.splitLines` does.
        guard let newline = text[start...].firstIndex(where: \.isNewline) else { return (text[start...], nil) }
        return (text[start..<newline], text.index(after: newline))
    }

    private static func isFence(_ line: Substring, closers: [Substring]) -> Bool {
        var trimmed = line
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return closers.contains(trimmed)
    }
}

/// Front matter that can't be read, with the file line at fault and how to fix it.
public struct FrontMatterError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 1-based line in the file; the opening `---` is line 1.
    public var line: Int
    /// What is wrong and how to fix it, without the line prefix.
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line) of the front matter: \(message)" }
}

/// A line between the fences, numbered as in the file.
struct FrontMatterLine {
    let number: Int
    /// The text the parser reads; for a `- item` line, the item re-read at its own column.
    var text: Substring
    /// The text as written, for error messages.
    let original: Substring

    init(number: Int, text: Substring) {
        self.number = number
        self.text = text
        self.original = text
    }

    /// Leading spaces (tabs don't count: YAML forbids them in indentation).
    var indent: Int { text.prefix(while: { $0 == " " }).count }
    var content: Substring { text.dropFirst(indent) }
    /// Nothing but spaces and tabs.
    var isBlank: Bool { text.allSatisfy { $0 == " " || $0 == "\t" } }
    /// Blank or a whole-line comment: skipped outside block scalars.
    var isSkippable: Bool {
        let stripped = text.drop(while: { $0 == " " || $0 == "\t" })
        return stripped.isEmpty || stripped.first == "#"
    }
    /// The line as written, trimmed and cut to 80 characters, for quoting in messages.
    var shown: String {
        let trimmed = original.drop(while: { $0 == " " || $0 == "\t" })
        return trimmed.count > 80 ? trimmed.prefix(79) + "…" : String(trimmed)
    }
}
