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

extension SQLiteStore {
    /// The documents whose metadata meets every filter.
    public func documentIDs(matching filters: [MetadataFilter]) throws -> Set<Int64> {
        guard let first = filters.first else { return [] }
        return try withConnection { connection in
            // Only documents that have the first key are parsed; the rest of the test is done here.
            let statement = try connection.prepare("""
                SELECT id, metadata FROM documents WHERE json_valid(metadata)
                AND EXISTS (SELECT 1 FROM json_each(metadata) WHERE key = ?)
                """).bind(.text(first.key))
            var ids = Set<Int64>()
            while try statement.step() {
                let metadata = FrontMatter.parseJSON(statement.text(1))
                if filters.allSatisfy({ metadata[$0.key]?.matches($0.value) == true }) { ids.insert(statement.int(0)) }
            }
            return ids
        }
    }
}

extension SQLiteStore {
    /// Source and metadata (JSON text) of each of `ids` that exists.
    public func documentLabels(ids: Set<Int64>) throws -> [Int64: (source: String, metadata: String)] {
        guard !ids.isEmpty else { return [:] }
        return try withConnection { connection in
            let statement = try connection.prepare("SELECT id, source, metadata FROM documents WHERE id = ?")
            var labels: [Int64: (source: String, metadata: String)] = [:]
            for id in ids {
                statement.reset()
                if try statement.bind(.integer(id)).step() {
                    labels[id] = (statement.text(1), statement.text(2))
                }
            }
            return labels
        }
    }
}
