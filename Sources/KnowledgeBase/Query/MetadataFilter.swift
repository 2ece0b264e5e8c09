/// One `key=value` condition on document metadata: a scalar must equal the value, a list must contain it.
public struct MetadataFilter: Sendable, Equatable, Codable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Parses `key=value` (the value may itself contain `=`).
    public init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw QueryError.invalidQuestion("filter \"\(text)\" must be key=value, e.g. service=postgres or tags=dns")
        }
        self.init(key: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
    }
}
