/// A value of document metadata, as read from front matter and kept in the store as JSON.
public enum MetadataValue: Sendable, Equatable, Codable {
    case string(String)
    /// A number with its text as written (`3`, `2.50`, `1e3`), which is what `matches` compares.
    case number(Double, text: String)
    case bool(Bool)
    case null
    case list([MetadataValue])
    case map([String: MetadataValue])

    /// A number written the way JSON would write `value` (`3`, `0.5`, `1e+20`).
    public static func number(_ value: Double) -> MetadataValue {
        .number(value, text: canonicalText(value))
    }

    /// The text of a scalar: a string as is, a number as written, a bool as `true`/`false`; nil for null, lists
    /// and maps.
    public var scalarText: String? {
        switch self {
        case .string(let text), .number(_, let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .null, .list, .map: return nil
        }
    }

    /// Whether a filter for `wanted` selects this value: a scalar whose text is exactly `wanted` (no case folding,
    /// so the number `3` matches "3" but not "3.0"), or a list with such an element. Null and maps never match.
    public func matches(_ wanted: String) -> Bool {
        if case .list(let items) = self { return items.contains { $0.matches(wanted) } }
        return scalarText == wanted
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            // A decoder hands over only the Double; `FrontMatter.parseJSON` keeps the text as written.
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([MetadataValue].self) {
            self = .list(value)
        } else if let value = try? container.decode([String: MetadataValue].self) {
            self = .map(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a string, number, bool, null, array or object")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        // JSON has no infinity (a YAML number too large for a Double), so such a number keeps its text.
        case .number(let value, let text): value.isFinite ? try container.encode(value) : try container.encode(text)
        case .bool(let value): try container.encode(value)
        case .null: try container.encodeNil()
        case .list(let items): try container.encode(items)
        case .map(let map): try container.encode(map)
        }
    }

    /// Integral values below 1e15 without a fraction (`3`), others as Swift prints them (`0.5`, `1e+20`).
    static func canonicalText(_ value: Double) -> String {
        if abs(value) < 1e15, value == Double(Int64(value)) { return String(Int64(value)) }
        return "\(value)"
    }
}
