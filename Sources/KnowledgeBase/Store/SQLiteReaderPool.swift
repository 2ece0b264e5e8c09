import Foundation

/// Read-only connections to one WAL database, so that queries run side by side, and beside a write, instead of
/// queueing for the store's one write connection.
///
/// Each read runs in autocommit mode and so sees everything committed before it started, this process's writes
/// included. Connections are opened when first needed, at most `capacity` of them; a read that finds all of them
/// busy waits for one.
final class SQLiteReaderPool: @unchecked Sendable {
    let path: String
    let capacity: Int
    private let condition = NSCondition()
    private var idle: [SQLiteConnection] = []
    private var opened = 0

    init(path: String, capacity: Int) {
        self.path = path
        self.capacity = max(1, capacity)
    }

    /// Runs `body` on a reader of its own; its statements are reset afterwards, ending their read transactions.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try take()
        defer {
            connection.resetStatements()
            give(connection)
        }
        return try body(connection)
    }

    private func take() throws -> SQLiteConnection {
        condition.lock()
        while idle.isEmpty && opened >= capacity { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        opened += 1
        condition.unlock()
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            try connection.execute("PRAGMA busy_timeout = 5000")
            return connection
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func give(_ connection: SQLiteConnection) {
        condition.lock()
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }
}
