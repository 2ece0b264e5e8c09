/// Everything that can go wrong opening, reading or writing the knowledge-base file.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// Text holding U+0000, which no store keeps whole.
    static let nulInText = StoreError.invalidInput(
        "text holds a NUL character (U+0000), which kb does not store; remove it and try again")

    case cannotOpen(path: String, reason: String)
    case notFound(path: String)
    case notADatabase(path: String)
    case notAKnowledgeBase(path: String, tables: [String])
    case newerSchema(path: String, found: Int, supported: Int)
    case sqlite(code: Int32, message: String, sql: String)
    case corruptVector(chunkID: Int64, bytes: Int, dimension: Int)
    case documentNotFound(String)
    case invalidInput(String)
    /// The database server cannot be reached (down, restarting, wrong address or credentials).
    case unavailable(location: String, reason: String)
    case postgres(state: String, message: String, sql: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open knowledge base \(path): \(reason). Check the path and its permissions, or pass --db."
        case .notFound(let path):
            return "no knowledge base at \(path). Check --db (or KB_DB); `kb ingest`, `kb sync` or `kb serve --create` "
                + "create one."
        case .notADatabase(let path):
            return "\(path) is not an SQLite database, so it is not a kb knowledge base. It was left untouched; "
                + "pass another --db path (or set KB_DB)."
        case .notAKnowledgeBase(let path, let tables):
            return "\(path) is an SQLite database but not a kb knowledge base (it holds tables: "
                + "\(tables.joined(separator: ", "))). It was left untouched; pass another --db path (or set KB_DB)."
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer kb (schema version \(found); this kb understands up to \(supported)). "
                + "It was left untouched; upgrade kb to use it."
        case .sqlite(let code, let message, let sql):
            let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
            return "database error \(code): \(message) (in: \(statement.prefix(120)))"
        case .corruptVector(let chunkID, let bytes, let dimension):
            return "stored vector of chunk \(chunkID) has \(bytes) bytes, expected \(dimension * 4) for dimension "
                + "\(dimension). Rebuild the vectors with `kb reindex`."
        case .documentNotFound(let reference):
            return "no document \(reference) in the knowledge base; `kb docs list` shows what is there."
        case .invalidInput(let message):
            return message
        case .unavailable(let location, let reason):
            return "cannot reach the knowledge base at \(location): \(reason). Check that PostgreSQL runs there and "
                + "that --store (or KB_STORE) has the right host, port, user, password and sslmode."
        case .postgres(let state, let message, let sql):
            let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
            return "database error \(state): \(message) (in: \(statement.prefix(120)))"
        }
    }
}
