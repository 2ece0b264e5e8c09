import Foundation

/// A fixed number of connections to one database, handed to one caller at a time.
///
/// Connections are opened when first needed. One that broke (the server restarted or the network went away) is
/// reconnected when it is next handed out, so a store recovers by itself once the database is back; until then calls
/// throw `StoreError.unavailable`.
final class PostgresPool: @unchecked Sendable {
    private let url: String
    let location: String
    private let size: Int
    private let setup: String
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0

    init(url: String, location: String, size: Int, setup: String) {
        self.url = url
        self.setup = setup
        self.location = location
        self.size = max(1, size)
    }

    /// Runs `body` with a connection of its own.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        var healthy = true
        defer { checkIn(connection, healthy: healthy) }
        do {
            return try body(connection)
        } catch let error as StoreError {
            if case .unavailable = error { healthy = false }
            throw error
        }
    }

    /// A new connection outside the pool (for `LISTEN`, which holds its connection).
    func makeConnection() throws -> PostgresConnection {
        try PostgresConnection(url: url, location: location, setup: setup)
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while idle.isEmpty && opened >= size { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            if connection.isHealthy { return connection }
            do {
                try connection.reset()
                return connection
            } catch {
                drop()
                throw error
            }
        }
        opened += 1
        condition.unlock()
        do {
            return try makeConnection()
        } catch {
            drop()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        condition.lock()
        defer { condition.unlock() }
        if healthy && connection.isHealthy {
            idle.append(connection)
        } else {
            // Broken connections are dropped; the next caller opens a fresh one.
            opened -= 1
        }
        condition.signal()
    }

    private func drop() {
        condition.lock()
        opened -= 1
        condition.signal()
        condition.unlock()
    }
}
