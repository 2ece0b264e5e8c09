/// Reads quoted scalars and flow collections (`[a, b]`, `{a: 1}`) of front matter, character by character.
struct FrontMatterScanner {
    /// Thrown when the text ends inside a flow collection, so the caller can append the next line and retry.
    struct Incomplete: Error {}

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private let firstLine: Int
    private var depth = 0

    /// Scans `text`, whose first line is `firstLine` of the file; lines are joined by "\n".
    init(_ text: String, firstLine: Int) {
        self.scalars = Array(text.unicodeScalars)
        self.firstLine = firstLine
    }

    private var line: Int { firstLine + scalars[..<min(position, scalars.count)].count(where: { $0 == "\n" }) }
    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private func error(_ message: String) -> FrontMatterError { FrontMatterError(line: line, message: message) }

    // MARK: Scalars

    /// A single- or double-quoted scalar starting at the current position, which must close on its line.
    mutating func quoted() throws -> String {
        let quote = scalars[position]
        let openLine = line
        position += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let scalar = current, scalar != "\n" else {
                throw FrontMatterError(line: openLine, message:
                    "the quoted value opened with \(quote) is not closed on its line; close it, or use a block "
                    + "scalar (`|` or `>`) for text over several lines")
            }
            position += 1
            if scalar == quote {
                guard quote == "'", current == "'" else { return String(out) }
                position += 1  // '' is an escaped single quote
                out.append("'")
            } else if scalar == "\\", quote == "\"" {
                out.append(contentsOf: try escape())
            } else {
                out.append(scalar)
            }
        }
    }

    private mutating func escape() throws -> [Unicode.Scalar] {
        guard let letter = current, letter != "\n" else {
            throw error("a double-quoted value can't continue on the next line; close it on its line")
        }
        position += 1
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}",
            "f": "\u{0C}", "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\", "N": "\u{85}",
            "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
        ]
        if let scalar = simple[letter] { return [scalar] }
        let digits: Int
        switch letter {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default:
            throw error("unknown escape `\\\(letter)` in a double-quoted value; write `\\\\` for a backslash, "
                + "or use single quotes, which have no escapes")
        }
        var code = try hex(digits)
        if letter == "u", (0xD800..<0xDC00).contains(code) {
            // A UTF-16 surrogate pair spelled as two escapes: \uD83D\uDE00.
            guard position + 1 < scalars.count, scalars[position] == "\\", scalars[position + 1] == "u" else {
                throw error("`\\u\(String(code, radix: 16, uppercase: true))` is half of a surrogate pair; "
                    + "follow it with the low half (`\\uDC00`-`\\uDFFF`) or write `\\U` with 8 digits")
            }
            position += 2
            let low = try hex(4)
            guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate in `\\u` escape") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else {
            throw error("`\(String(code, radix: 16, uppercase: true))` is not a Unicode scalar value")
        }
        return [scalar]
    }

    private mutating func hex(_ count: Int) throws -> UInt32 {
        guard position + count <= scalars.count,
              let value = UInt32(String(String.UnicodeScalarView(scalars[position..<position + count])), radix: 16)
        else {
            throw error("an escape needs \(count) hex digits; write for example `\\u00E9`")
        }
        position += count
        return value
    }

    /// After a quoted key: the text after `:` (and the space after it), or nil when no `: ` follows.
    mutating func restAfterColon() -> String? {
        while current == " " || current == "\t" { position += 1 }
        guard current == ":" else { return nil }
        position += 1
        guard current == nil || current == " " || current == "\t" else { return nil }
        return String(String.UnicodeScalarView(scalars[position...]))
    }

    /// Checks that only spaces and comments follow.
    mutating func expectEnd(after what: String) throws {
        skipSpaceAndComments()
        if let scalar = current {
            let rest = String(String.UnicodeScalarView(scalars[position...].prefix(while: { $0 != "\n" })))
            throw error("unexpected `\(rest)` after \(what); a comment needs a space before `#`"
                + (scalar == "#" ? "" : ", and a value with more text must be quoted as a whole"))
        }
    }

    // MARK: Flow collections

    /// A flow node: `[...]`, `{...}`, a quoted scalar, or a plain scalar up to `,`, `]`, `}` or `: `.
    mutating func flowNode() throws -> MetadataValue {
        skipSpaceAndComments()
        guard let scalar = current else { throw Incomplete() }
        switch scalar {
        case "[": return try flowSequence()
        case "{": return try flowMapping()
        case "\"", "'": return .string(try quoted())
        case "]", "}", ",", ":":
            throw error("expected a value, found `\(scalar)`; remove the extra `\(scalar)` or quote the value")
        default: return Self.resolve(try flowPlain())
        }
    }

    private mutating func flowSequence() throws -> MetadataValue {
        let openLine = line
        try enter()
        defer { depth -= 1 }
        position += 1
        var items: [MetadataValue] = []
        while true {
            skipSpaceAndComments()
            guard let scalar = current else { throw Incomplete() }
            if scalar == "]" { position += 1; return .list(items) }
            items.append(try flowNode())
            skipSpaceAndComments()
            guard let separator = current else { throw Incomplete() }
            position += 1
            switch separator {
            case ",": continue
            case "]": return .list(items)
            case ":":
                throw error("`key: value` inside `[...]` is not supported; use a map `{key: value}` or quote it")
            default:
                throw error("expected `,` or `]` in the list opened on line \(openLine), found `\(separator)`")
            }
        }
    }

    private mutating func flowMapping() throws -> MetadataValue {
        let openLine = line
        try enter()
        defer { depth -= 1 }
        position += 1
        var map: [String: MetadataValue] = [:]
        var firstLines: [String: Int] = [:]
        while true {
            skipSpaceAndComments()
            guard let scalar = current else { throw Incomplete() }
            if scalar == "}" { position += 1; return .map(map) }
            let keyLine = line
            let key: String
            switch scalar {
            case "\"", "'": key = try quoted()
            case "[", "{", ",", ":":
                throw error("expected a key in the map opened on line \(openLine), found `\(scalar)`")
            default: key = try flowPlain()
            }
            if key.isEmpty { throw error("empty key in the map opened on line \(openLine); write `{name: value}`") }
            skipSpaceAndComments()
            guard let colon = current else { throw Incomplete() }
            guard colon == ":" else {
                throw error("expected `:` after the key `\(key)` in the map opened on line \(openLine)"
                    + (key.contains(":") ? "; put a space after the colon" : ""))
            }
            position += 1
            skipSpaceAndComments()
            guard let next = current else { throw Incomplete() }
            let value = next == "," || next == "}" ? MetadataValue.null : try flowNode()
            if let first = firstLines[key] {
                throw FrontMatterError(line: keyLine, message:
                    "duplicate key `\(key)` (first set on line \(first)); keep only one of them")
            }
            firstLines[key] = keyLine
            map[key] = value
            skipSpaceAndComments()
            guard let separator = current else { throw Incomplete() }
            position += 1
            switch separator {
            case ",": continue
            case "}": return .map(map)
            default: throw error("expected `,` or `}` in the map opened on line \(openLine), found `\(separator)`")
            }
        }
    }

    // A plain scalar inside a flow collection: ends at a flow indicator, `: `, ` #` or the end of the line.
    private mutating func flowPlain() throws -> String {
        let first = scalars[position]
        if "&*!".unicodeScalars.contains(first) {
            throw Self.unsupportedIndicator(Substring(String(first)), line: line)
        }
        if "|>@`#".unicodeScalars.contains(first) {
            throw error("`\(first)` can't start an unquoted value inside brackets; quote the value")
        }
        let start = position
        while let scalar = current, scalar != "\n", !",[]{}".unicodeScalars.contains(scalar) {
            if scalar == ":" {
                let after = position + 1 < scalars.count ? scalars[position + 1] : nil
                if after == nil || " \t\n,[]{}".unicodeScalars.contains(after!) { break }
            }
            if scalar == "#", position > start, scalars[position - 1] == " " || scalars[position - 1] == "\t" {
                break
            }
            position += 1
        }
        var end = position
        while end > start, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }

    private mutating func enter() throws {
        depth += 1
        if depth > FrontMatterParser.maximumDepth {
            throw error("brackets are nested more than \(FrontMatterParser.maximumDepth) levels deep; "
                + "flatten the value")
        }
    }

    private mutating func skipSpaceAndComments() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\n" {
                position += 1
            } else if scalar == "#", position == 0 || " \t\n".unicodeScalars.contains(scalars[position - 1]) {
                while let next = current, next != "\n" { position += 1 }
            } else {
                return
            }
        }
    }

    // MARK: Shared

    static func unsupportedIndicator(_ text: Substring, line: Int) -> FrontMatterError {
        FrontMatterError(line: line, message:
            "anchors (`&`), aliases (`*`) and tags (`!`) are not supported, found `\(text)`; write the value out, "
            + "or quote it if the character is part of the text")
    }

    /// `text` in double quotes, escaped, for suggesting a fix.
    static func quotedHint<S: StringProtocol>(_ text: S) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "\"" { escaped.append("\\") }
            escaped.append(character)
        }
        return "`\"" + escaped + "\"`"
    }

    /// A plain scalar's value by the YAML 1.2 core schema: null, bool, integer or float, else a string.
    static func resolve(_ text: String) -> MetadataValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: return number(text).map { .number($0, text: text) } ?? .string(text)
        }
    }

    private static func number(_ text: String) -> Double? {
        for (prefix, radix) in [("0x", 16), ("0o", 8)] where text.hasPrefix(prefix) {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty else { return nil }
            var value = 0.0
            for character in digits {
                guard let digit = character.hexDigitValue, digit < radix else { return nil }
                value = value * Double(radix) + Double(digit)
            }
            return value
        }
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var rest = Substring(text)
        func digits() -> Int {
            let count = rest.prefix(while: { $0.isASCII && $0.isNumber }).count
            rest = rest.dropFirst(count)
            return count
        }
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        var mantissa = digits()
        if rest.first == "." {
            rest = rest.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        if rest.first == "e" || rest.first == "E" {
            rest = rest.dropFirst()
            if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
            guard digits() > 0 else { return nil }
        }
        guard rest.isEmpty else { return nil }
        return Double(text)
    }
}
