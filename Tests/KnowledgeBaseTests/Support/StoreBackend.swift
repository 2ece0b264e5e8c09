import Foundation
import Testing
@testable import KnowledgeBase

/// The PostgreSQL server the suite's PostgreSQL half runs against: `KB_TEST_POSTGRES_URL`, which `Scripts/test`
/// sets after starting a throwaway server (`Scripts/start-postgres`). Each test works in a schema of its own.
enum PostgresTestDatabase {
    static let url: String? = ProcessInfo.processInfo.environment["KB_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static let skipNote: Comment = """
        no PostgreSQL for the tests: KB_TEST_POSTGRES_URL is not set (Scripts/test starts one; by hand: \
        eval "$(Scripts/start-postgres /tmp/kb-pg)")
        """

    /// The server's URL naming a new, empty schema.
    static func freshURL() -> String {
        let base = url!
        return base + (base.contains("?") ? "&" : "?") + "schema=t_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
    }

    /// Drops the schema a URL of `freshURL()` names, with everything in it.
    static func drop(_ schemaURL: String) {
        guard let parsed = try? PostgresURL(schemaURL),
              let connection = try? PostgresConnection(url: parsed.libpqURL, location: parsed.redacted, setup: "")
        else { return }
        try? connection.execute("DROP SCHEMA IF EXISTS \"\(parsed.schema)\" CASCADE")
    }

    /// Runs SQL on the server outside any store (to take locks, look at sessions).
    static func connection(_ schemaURL: String) throws -> PostgresConnection {
        let parsed = try PostgresURL(schemaURL)
        return try PostgresConnection(url: parsed.libpqURL, location: parsed.redacted,
                                      setup: "SET search_path = \"\(parsed.schema)\"")
    }
}

/// The stores the shared store suite runs on: SQLite always, PostgreSQL when the suite has a server.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var available: [StoreBackend] { PostgresTestDatabase.url == nil ? [.sqlite] : allCases }

    var testDescription: String { rawValue }

    /// A new, empty knowledge base on this backend and how to reach it again (a file path or a URL).
    func makeStore(changeRetention: Int = 1000) throws -> ScratchStore {
        switch self {
        case .sqlite:
            let directory = try temporaryDirectory()
            let path = directory.appendingPathComponent("kb.sqlite").path
            return ScratchStore(store: try SQLiteStore(path: path, changeRetention: changeRetention), location: path,
                                cleanUp: { try? FileManager.default.removeItem(at: directory) })
        case .postgres:
            let url = PostgresTestDatabase.freshURL()
            return ScratchStore(store: try PostgresStore(url: url, changeRetention: changeRetention), location: url,
                                cleanUp: { PostgresTestDatabase.drop(url) })
        }
    }

    /// Another connection to the knowledge base at `location` (as a second process would open it).
    func open(_ location: String, changeRetention: Int = 1000) throws -> any KnowledgeStore {
        switch self {
        case .sqlite: return try SQLiteStore(path: location, changeRetention: changeRetention)
        case .postgres: return try PostgresStore(url: location, changeRetention: changeRetention)
        }
    }
}

struct ScratchStore {
    var store: any KnowledgeStore
    /// A file path or a URL (with its schema) that reaches the same knowledge base.
    var location: String
    var cleanUp: () -> Void
}

/// Runs blocking `body` (a store call that may wait on a lock) on a thread of its own, so a wait never takes one of
/// the few threads of Swift's cooperative pool that the test itself needs to go on.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> Task<T, any Error> {
    Task {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
