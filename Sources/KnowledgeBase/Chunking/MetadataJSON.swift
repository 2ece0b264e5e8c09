/// Compact JSON for metadata, written and read by hand so a number keeps its text through the store.
enum MetadataJSON {
    /// Compact JSON with object keys sorted; non-ASCII text is written as is.
    static func render(_ value: MetadataValue) -> String {
        var out = ""
        write(value, to: &out)
        return out
    }

    /// The value `text` holds, or nil when it is not exactly one JSON value.
    static func parse(_ text: String) -> MetadataValue? {
        var reader = JSONReader(bytes: Array(text.utf8))
        guard let value = reader.value() else { return nil }
        reader.skipWhitespace()
        return reader.atEnd ? value : nil
    }

    private static func write(_ value: MetadataValue, to out: inout String) {
        switch value {
        case .string(let text): writeString(text, to: &out)
        case .number(let number, let text):
            if isJSONNumber(text) {
                out += text
            } else if number.isFinite {
                out += MetadataValue.canonicalText(number)  // `+1`, `.5`, `0x1F` are YAML spellings JSON lacks
            } else {
                writeString(text, to: &out)
            }
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        case .list(let items):
            out += "["
            for (offset, item) in items.enumerated() {
                if offset > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .map(let map):
            out += "{"
            for (offset, key) in map.keys.sorted().enumerated() {
                if offset > 0 { out += "," }
                writeString(key, to: &out)
                out += ":"
                write(map[key]!, to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// Whether `text` is a number as JSON spells it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    static func isJSONNumber<S: StringProtocol>(_ text: S) -> Bool {
        let reader = JSONReader(bytes: Array(text.utf8))
        return reader.numberLength() == reader.bytes.count && !reader.bytes.isEmpty
    }
}

/// A recursive-descent JSON reader that gives up (nil) at the first error.
private struct JSONReader {
    let bytes: [UInt8]
    var pos = 0
    var depth = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { pos >= bytes.count }

    mutating func skipWhitespace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func value() -> MetadataValue? {
        skipWhitespace()
        guard pos < bytes.count, depth < 256 else { return nil }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(MetadataValue.string)
        case UInt8(ascii: "t"): return literal("true", .bool(true))
        case UInt8(ascii: "f"): return literal("false", .bool(false))
        case UInt8(ascii: "n"): return literal("null", .null)
        default:
            let start = pos
            let length = numberLength()
            guard length > 0 else { return nil }
            pos = start + length
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            return Double(text).map { .number($0, text: text) }
        }
    }

    private mutating func literal(_ word: String, _ value: MetadataValue) -> MetadataValue? {
        let expected = Array(word.utf8)
        guard bytes.count - pos >= expected.count, Array(bytes[pos..<pos + expected.count]) == expected else {
            return nil
        }
        pos += expected.count
        return value
    }

    private mutating func object() -> MetadataValue? {
        pos += 1
        depth += 1
        defer { depth -= 1 }
        var map: [String: MetadataValue] = [:]
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .map(map) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { return nil }
            pos += 1
            guard let item = value() else { return nil }
            map[key] = item
            skipWhitespace()
            guard pos < bytes.count else { return nil }
            pos += 1
            if bytes[pos - 1] == UInt8(ascii: "}") { return .map(map) }
            guard bytes[pos - 1] == UInt8(ascii: ",") else { return nil }
        }
    }

    private mutating func array() -> MetadataValue? {
        pos += 1
        depth += 1
        defer { depth -= 1 }
        var items: [MetadataValue] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .list(items) }
        while true {
            guard let item = value() else { return nil }
            items.append(item)
            skipWhitespace()
            guard pos < bytes.count else { return nil }
            pos += 1
            if bytes[pos - 1] == UInt8(ascii: "]") { return .list(items) }
            guard bytes[pos - 1] == UInt8(ascii: ",") else { return nil }
        }
    }

    private mutating func string() -> String? {
        pos += 1
        var out: [UInt8] = []
        while pos < bytes.count {
            let byte = bytes[pos]
            pos += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard pos < bytes.count else { return nil }
                let escape = bytes[pos]
                pos += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard let scalar = unicodeEscape() else { return nil }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: return nil
                }
            case 0..<0x20: return nil
            default: out.append(byte)
            }
        }
        return nil
    }

    // After `\u`: four hex digits, and a second `\uXXXX` when the first is a high surrogate.
    private mutating func unicodeEscape() -> Unicode.Scalar? {
        guard let high = hex4() else { return nil }
        if (0xD800..<0xDC00).contains(high) {
            guard bytes.count - pos >= 6, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
            else { return nil }
            pos += 2
            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }
        return Unicode.Scalar(high)
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - pos >= 4,
              let value = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16) else { return nil }
        pos += 4
        return value
    }

    /// Length of the JSON number starting at `pos` (0 if none), without moving.
    func numberLength() -> Int {
        var i = pos
        func digits() -> Int {
            let start = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0, intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { return 0 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return 0 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return 0 }
        }
        return i - pos
    }
}
