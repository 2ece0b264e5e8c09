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
    ///
    /// A pooled connection whose server went away while it sat idle (a restart, a failover) only says so when used:
    /// when its first statement fails that way, nothing reached the server, so `body` runs again once on a new one.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        var retried = false
        while true {
            let (connection, reused) = try checkOut()
            var healthy = true
            defer { checkIn(connection, healthy: healthy) }
            do {
                return try body(connection)
            } catch StoreError.unavailable(let location, let reason) {
                healthy = false
                if reused && !retried && connection.statementsSent <= 1 {
                    retried = true
                    continue
                }
                throw StoreError.unavailable(location: location, reason: reason)
            }
        }
    }

    /// A new connection outside the pool (for `LISTEN`, which holds its connection).
    func makeConnection() throws -> PostgresConnection {
        try PostgresConnection(url: url, location: location, setup: setup)
    }

    private func checkOut() throws -> (PostgresConnection, reused: Bool) {
        condition.lock()
        while idle.isEmpty && opened >= size { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            connection.statementsSent = 0
            if connection.isHealthy { return (connection, true) }
            do {
                try connection.reset()
                return (connection, false)
            } catch {
                drop()
                throw error
            }
        }
        opened += 1
        condition.unlock()
        do {
            return (try makeConnection(), false)
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
