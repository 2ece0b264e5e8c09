import Foundation

/// Which store a knowledge base is in, from `--store` / `KB_STORE` (or `--db` / `KB_DB`):
/// `postgres://user:password@host:5432/database` (or `postgresql://`), `sqlite:PATH`, or a bare path meaning SQLite.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw StoreError.invalidInput("the store is empty; give a file path, sqlite:PATH or postgres://…")
        }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            _ = try PostgresURL(trimmed)
            self = .postgres(url: trimmed)
        } else if lower.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if lower.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if let scheme = trimmed.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
            throw StoreError.invalidInput("unknown store \"\(trimmed[scheme])\"; use postgres://…, sqlite:PATH or a "
                + "file path")
        } else {
            self = .sqlite(path: trimmed)
        }
    }

    /// Opens the store; with `create` false a missing knowledge base is `StoreError.notFound`, not a new one.
    public func open(create: Bool) throws -> any KnowledgeStore {
        switch self {
        case .sqlite(let path): return try SQLiteStore(path: path, create: create)
        case .postgres(let url): return try PostgresStore(url: url, create: create)
        }
    }

    /// The file path of an SQLite store (nil for PostgreSQL).
    public var filePath: String? {
        if case .sqlite(let path) = self { return path }
        return nil
    }

    /// A SQLite file exists; a PostgreSQL database is taken to (opening it says if it does not).
    public var exists: Bool {
        switch self {
        case .sqlite(let path): return FileManager.default.fileExists(atPath: path)
        case .postgres: return true
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return (try? PostgresURL(url).redacted) ?? "postgres://…"
        }
    }
}
