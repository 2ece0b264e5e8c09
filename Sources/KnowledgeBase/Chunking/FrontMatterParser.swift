/// Reads the YAML subset runbook front matter uses into metadata.
///
/// Supported: a top-level block mapping; nested block mappings and sequences (`- item`, also at the key's own
/// column); flow sequences and maps (`[a, "b c"]`, `{a: 1}`), which may span lines; plain scalars (continuing onto
/// more-indented lines), single- and double-quoted scalars on one line; literal `|` and folded `>` block scalars
/// with chomping (`-`, `+`) and indentation indicators; `#` comments after whitespace. Plain scalars resolve by the
/// YAML 1.2 core schema, except `.inf` and `.nan`, which stay strings because JSON can't hold them.
/// Anchors, aliases, tags, complex keys and multi-line quoted scalars are rejected with an error, never guessed at.
struct FrontMatterParser {
    // Internal, not private, for the block scalar reader in FrontMatterParser+BlockScalar.swift.
    var lines: [FrontMatterLine]
    var index = 0
    private var depth = 0
    /// Deeper nesting is an error rather than a risk of running out of stack on a hostile file.
    static let maximumDepth = 64

    init(lines: [FrontMatterLine]) {
        self.lines = lines
    }

    /// The top-level mapping; empty when the front matter holds only blank lines and comments.
    mutating func parse() throws -> [String: MetadataValue] {
        skipSkippable()
        guard index < lines.count else { return [:] }
        let first = lines[index]
        try checkTabs(first)
        if first.indent > 0 {
            throw FrontMatterError(line: first.number, message:
                "unexpected indentation before `\(first.shown)`; top-level keys start in the first column")
        }
        if Self.isListItem(first.content) {
            throw FrontMatterError(line: first.number, message:
                "front matter must be `key: value` lines, found the list item `\(first.shown)`; "
                + "put the list under a key, such as `tags:`")
        }
        return try parseMapping(indent: 0)
    }

    // MARK: Block structure

    private mutating func parseMapping(indent: Int) throws -> [String: MetadataValue] {
        var map: [String: MetadataValue] = [:]
        var firstLines: [String: Int] = [:]
        while true {
            skipSkippable()
            guard index < lines.count else { break }
            let line = lines[index]
            try checkTabs(line)
            if line.indent < indent { break }
            if line.indent > indent { throw unexpectedIndentation(line) }
            if Self.isListItem(line.content) {
                throw FrontMatterError(line: line.number, message:
                    "expected `key: value`, found the list item `\(line.shown)`; a list goes on the lines below "
                    + "a `key:` that has nothing after its colon")
            }
            guard let (key, rest) = try splitKey(line) else {
                throw notKeyValue(line, isFirst: indent == 0 && map.isEmpty)
            }
            if let first = firstLines[key] {
                throw FrontMatterError(line: line.number, message:
                    "duplicate key `\(key)` (first set on line \(first)); keep only one of them")
            }
            firstLines[key] = line.number
            index += 1
            map[key] = try parseValue(after: rest, line: line, indent: indent)
        }
        return map
    }

    private mutating func parseSequence(indent: Int) throws -> MetadataValue {
        var items: [MetadataValue] = []
        while true {
            skipSkippable()
            guard index < lines.count else { break }
            let line = lines[index]
            try checkTabs(line)
            if line.indent < indent { break }
            if line.indent > indent { throw unexpectedIndentation(line) }
            guard Self.isListItem(line.content) else { break }
            let afterDash = line.content.dropFirst()
            let spaces = afterDash.prefix(while: { $0 == " " }).count
            let item = afterDash.dropFirst(spaces)
            if item.isEmpty || item.first == "#" {
                index += 1
            } else {
                // Re-read the item as a line of its own starting at its column, so `- key: v` opens a mapping
                // there and `- - a` a nested list, as YAML's compact notation says.
                lines[index].text = Substring(String(repeating: " ", count: indent + 1 + spaces) + item)
            }
            items.append(try parseBlockNode(parent: indent, sequenceAt: nil))
        }
        return .list(items)
    }

    /// The node on the lines below a `key:` or `-` with nothing after it: what is indented past `parent`, a list
    /// at `sequenceAt` (YAML lets a mapping's list value start in the key's column), or else null.
    private mutating func parseBlockNode(parent: Int, sequenceAt: Int?) throws -> MetadataValue {
        skipSkippable()
        guard index < lines.count else { return .null }
        let line = lines[index]
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maximumDepth {
            throw FrontMatterError(line: line.number, message:
                "values are nested more than \(Self.maximumDepth) levels deep; flatten the front matter")
        }
        try checkTabs(line)
        if line.indent > parent {
            if Self.isListItem(line.content) { return try parseSequence(indent: line.indent) }
            if try splitKey(line) != nil { return .map(try parseMapping(indent: line.indent)) }
            index += 1
            return try parseInline(line.content, line: line, parent: parent)
        }
        if let sequenceAt, line.indent == sequenceAt, Self.isListItem(line.content) {
            return try parseSequence(indent: sequenceAt)
        }
        return .null
    }

    private mutating func parseValue(after rest: Substring, line: FrontMatterLine, indent: Int) throws
        -> MetadataValue
    {
        let value = rest.drop(while: { $0 == " " || $0 == "\t" })
        if value.isEmpty || value.first == "#" { return try parseBlockNode(parent: indent, sequenceAt: indent) }
        return try parseInline(value, line: line, parent: indent)
    }

    /// A value that starts on `line` (already consumed); continuation lines must be indented past `parent`.
    private mutating func parseInline(_ text: Substring, line: FrontMatterLine, parent: Int) throws
        -> MetadataValue
    {
        switch text.first! {
        case "|", ">":
            return .string(try parseBlockScalar(header: text, line: line, parent: parent))
        case "[", "{":
            return try parseFlow(text, line: line, parent: parent)
        case "\"", "'":
            var scanner = FrontMatterScanner(String(text), firstLine: line.number)
            let value = try scanner.quoted()
            try scanner.expectEnd(after: "the closing quote")
            return .string(value)
        case "&", "*", "!":
            throw FrontMatterScanner.unsupportedIndicator(text, line: line.number)
        case "@", "`":
            throw FrontMatterError(line: line.number, message:
                "`\(text.first!)` can't start an unquoted value; quote it: \(FrontMatterScanner.quotedHint(text))")
        case "-" where text == "-" || text.hasPrefix("- "):
            throw FrontMatterError(line: line.number, message:
                "a list can't start on its key's line (`\(line.shown)`); put each `- item` on its own line below")
        default:
            return try parsePlain(text, line: line, parent: parent)
        }
    }

    private mutating func parsePlain(_ text: Substring, line: FrontMatterLine, parent: Int) throws -> MetadataValue
    {
        var (value, hadComment) = try plainLine(text, line: line)
        var pendingBreaks = 0
        var next = index
        // A plain scalar goes on over more-indented lines, folded with spaces; a blank line becomes "\n".
        while !hadComment, next < lines.count {
            let candidate = lines[next]
            if candidate.isBlank { pendingBreaks += 1; next += 1; continue }
            let stripped = candidate.text.drop(while: { $0 == " " || $0 == "\t" })
            guard candidate.indent > parent, stripped.first != "#" else { break }
            let piece: String
            do {
                (piece, hadComment) = try plainLine(stripped, line: candidate)
            } catch {
                throw FrontMatterError(line: candidate.number, message:
                    "`\(candidate.shown)` is indented below `\(line.shown)`, which already has a value; to nest "
                    + "keys leave nothing after the colon of the key above, otherwise quote the text")
            }
            value += pendingBreaks == 0 ? " " + piece : String(repeating: "\n", count: pendingBreaks) + piece
            pendingBreaks = 0
            next += 1
            index = next
        }
        return FrontMatterScanner.resolve(value)
    }

    // One line of a plain scalar: up to a ` #` comment; `: ` inside it is an error, as in YAML.
    private func plainLine(_ text: Substring, line: FrontMatterLine) throws -> (String, hadComment: Bool) {
        var end = text.endIndex
        var hadComment = false
        var previous: Character = " "
        for position in text.indices {
            let character = text[position]
            if character == "#", previous == " " || previous == "\t" {
                end = position
                hadComment = true
                break
            }
            if character == ":" {
                let after = text.index(after: position)
                if after == text.endIndex || text[after] == " " || text[after] == "\t" {
                    let value = text.trimmingTrailingBlanks()
                    throw FrontMatterError(line: line.number, message:
                        "`: ` inside the unquoted value `\(value)`; quote it: \(FrontMatterScanner.quotedHint(value))")
                }
            }
            previous = character
        }
        return (String(text[..<end].trimmingTrailingBlanks()), hadComment)
    }

    private mutating func parseFlow(_ text: Substring, line: FrontMatterLine, parent: Int) throws -> MetadataValue {
        var source = String(text)
        while true {
            var scanner = FrontMatterScanner(source, firstLine: line.number)
            do {
                let value = try scanner.flowNode()
                try scanner.expectEnd(after: "the closing bracket")
                return value
            } catch is FrontMatterScanner.Incomplete {
                let closer = text.first == "[" ? "]" : "}"
                guard index < lines.count else {
                    throw FrontMatterError(line: line.number, message:
                        "`\(text.first!)` is never closed; close it with `\(closer)`")
                }
                let next = lines[index]
                let stripped = next.text.drop(while: { $0 == " " || $0 == "\t" })
                guard next.indent > parent || next.isSkippable || stripped.first == "]" || stripped.first == "}"
                else {
                    throw FrontMatterError(line: line.number, message:
                        "`\(text.first!)` is not closed before line \(next.number); close it with `\(closer)`")
                }
                source += "\n" + next.text
                index += 1
            }
        }
    }

    // MARK: Lines

    private mutating func skipSkippable() {
        while index < lines.count, lines[index].isSkippable { index += 1 }
    }

    private func checkTabs(_ line: FrontMatterLine) throws {
        if line.content.first == "\t" {
            throw FrontMatterError(line: line.number, message:
                "a tab indents `\(line.shown)`; YAML allows only spaces for indentation")
        }
    }

    static func isListItem(_ content: Substring) -> Bool { content == "-" || content.hasPrefix("- ") }

    /// The key and the text after its colon, or nil when the line is not `key: …`.
    private func splitKey(_ line: FrontMatterLine) throws -> (String, Substring)? {
        let content = line.content
        switch content.first {
        case "\"", "'":
            var scanner = FrontMatterScanner(String(content), firstLine: line.number)
            guard let key = try? scanner.quoted(), let rest = scanner.restAfterColon() else { return nil }
            if key.isEmpty { throw emptyKey(line) }
            return (key, Substring(rest))
        case "?" where content == "?" || content.hasPrefix("? "):
            throw FrontMatterError(line: line.number, message:
                "complex keys (`? `) are not supported; write `key: value`")
        case "&", "*", "!":
            throw FrontMatterScanner.unsupportedIndicator(content, line: line.number)
        case "[", "{", nil:
            return nil
        default:
            var previous: Character = " "
            for position in content.indices {
                let character = content[position]
                if character == "#", previous == " " || previous == "\t" { return nil }
                if character == ":" {
                    let after = content.index(after: position)
                    if after == content.endIndex || content[after] == " " || content[after] == "\t" {
                        let key = content[..<position].trimmingTrailingBlanks()
                        if key.isEmpty { throw emptyKey(line) }
                        return (String(key), content[after...])
                    }
                }
                previous = character
            }
            return nil
        }
    }

    private func notKeyValue(_ line: FrontMatterLine, isFirst: Bool) -> FrontMatterError {
        var message = "expected `key: value`, found `\(line.shown)`"
        if line.content.contains(":") {
            message += "; put a space after the colon"
        } else {
            message += "; write it as `name: value`"
        }
        if isFirst {
            message += " (if the `---` on line 1 is a horizontal rule, not front matter, write it as `***`)"
        }
        return FrontMatterError(line: line.number, message: message)
    }

    private func unexpectedIndentation(_ line: FrontMatterLine) -> FrontMatterError {
        FrontMatterError(line: line.number, message:
            "unexpected indentation before `\(line.shown)`; keys of one mapping start in the same column, and a "
            + "nested value goes on the lines below a key that has nothing after its colon")
    }

    private func emptyKey(_ line: FrontMatterLine) -> FrontMatterError {
        FrontMatterError(line: line.number, message: "empty key in `\(line.shown)`; write `name: value`")
    }
}

fileprivate extension Substring {
    func trimmingTrailingBlanks() -> Substring {
        var trimmed = self
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        return trimmed
    }
}
