extension SQLiteStore {
    /// The documents whose metadata meets every filter.
    public func documentIDs(matching filters: [MetadataFilter]) throws -> Set<Int64> {
        guard let first = filters.first else { return [] }
        return try withReader { connection in
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
        return try withReader { connection in
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
