import CPostgres
import Foundation

/// A parameter of a PostgreSQL statement. Text and integers travel as text, vectors as binary `bytea`.
enum PostgresValue {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
    /// Float32 values as little-endian `bytea` (every platform Swift runs kb on is little-endian).
    case floats([Float])
    /// A `bigint[]`, e.g. for `= ANY($n)`.
    case integers([Int64])

    static func int(_ value: Int) -> PostgresValue { .integer(Int64(value)) }
}

/// One libpq connection; closed when the object goes away. Not thread-safe: `PostgresPool` hands it to one caller
/// at a time.
final class PostgresConnection {
    private(set) var handle: OpaquePointer
    /// The URL with its password left out, for messages.
    let location: String
    /// Run after connecting and after every reconnect (the schema's `search_path`).
    private let setup: String
    /// Statements sent since the pool last handed the connection out.
    var statementsSent = 0

    init(url: String, location: String, setup: String) throws {
        guard let handle = PQconnectdb(url) else {
            throw StoreError.unavailable(location: location, reason: "out of memory")
        }
        self.handle = handle
        self.location = location
        self.setup = setup
        // Every property is set, so a throw from here on runs deinit, which closes the handle.
        guard PQstatus(handle) == CONNECTION_OK else {
            throw StoreError.unavailable(location: location, reason: Self.message(handle))
        }
        // Notices (e.g. "relation already exists, skipping") would go to stderr; kb logs what matters itself.
        try execute("SET client_min_messages = warning; \(setup)")
    }

    deinit { PQfinish(handle) }

    /// False once the server went away or the connection broke; `reset()` tries to reconnect.
    var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Reconnects with the same parameters.
    func reset() throws {
        PQreset(handle)
        guard isHealthy else { throw StoreError.unavailable(location: location, reason: Self.message(handle)) }
        try execute("SET client_min_messages = warning; \(setup)")
    }

    var socket: Int32 { PQsocket(handle) }

    /// Runs statements that return no rows (several may be separated by `;`).
    func execute(_ sql: String) throws {
        statementsSent += 1
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with `$1…` parameters. With `binary`, columns come back in binary form (integers as
    /// big-endian, `bytea` as its bytes), which is what the index loader reads vectors with.
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue] = [], binary: Bool = false) throws -> PostgresResult {
        statementsSent += 1
        var types: [Oid] = []
        var buffers: [[UInt8]] = []
        var formats: [Int32] = []
        for value in values {
            if case .text(let text) = value, text.utf8.contains(0) { throw StoreError.nulInText }
            switch value {
            case .null:
                types.append(0); buffers.append([]); formats.append(0)
            case .text(let text):
                // libpq reads text parameters up to a NUL; kb never stores NUL (checked on the way in).
                types.append(25); buffers.append(Array(text.utf8) + [0]); formats.append(0)
            case .integer(let number):
                types.append(20); buffers.append(Array(String(number).utf8) + [0]); formats.append(0)
            case .real(let number):
                types.append(701); buffers.append(Array("\(number)".utf8) + [0]); formats.append(0)
            case .floats(let vector):
                types.append(17)
                buffers.append(vector.withUnsafeBytes { Array($0) })
                formats.append(1)
            case .integers(let numbers):
                types.append(1016)
                buffers.append(Array(("{" + numbers.map(String.init).joined(separator: ",") + "}").utf8) + [0])
                formats.append(0)
            }
        }
        let lengths = buffers.map { Int32($0.count) }
        let result = withPointers(buffers, nulls: values.map { if case .null = $0 { true } else { false } }) {
            pointers in
            PQexecParams(handle, sql, Int32(values.count), types, pointers, lengths, formats, binary ? 1 : 0)
        }
        do {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            throw error
        }
        return PostgresResult(result!)
    }

    /// Runs `body` in a transaction; any error rolls everything back.
    func transaction<T>(isolation: String = "READ COMMITTED", _ body: () throws -> T) throws -> T {
        try execute("BEGIN ISOLATION LEVEL \(isolation)")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isHealthy { _ = PQexec(handle, "ROLLBACK").map { PQclear($0) } }
            throw error
        }
    }

    /// Notifications received so far (after `consumeInput`), by channel.
    func takeNotifications() -> [String] {
        var channels: [String] = []
        while let notification = PQnotifies(handle) {
            channels.append(String(cString: notification.pointee.relname))
            PQfreemem(notification)
        }
        return channels
    }

    /// Reads what the server sent without blocking; false when the connection broke.
    func consumeInput() -> Bool { PQconsumeInput(handle) == 1 }

    /// Waits up to `milliseconds` for the server to send something; false on timeout.
    func waitReadable(milliseconds: Int32) -> Bool { cpostgres_wait_readable(handle, milliseconds) > 0 }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        guard let result else {
            throw StoreError.unavailable(location: location, reason: Self.message(handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? Self.message(handle)
            // Class 08 is a connection failure; 57P0x is the server shutting down or restarting.
            if !isHealthy || state.hasPrefix("08") || state.hasPrefix("57P") {
                throw StoreError.unavailable(location: location, reason: message)
            }
            throw StoreError.postgres(state: state, message: message, sql: sql)
        }
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func withPointers<T>(_ buffers: [[UInt8]], nulls: [Bool],
                                 _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
        var pointers: [UnsafePointer<CChar>?] = []
        var storage: [UnsafeMutablePointer<UInt8>] = []
        for (buffer, isNull) in zip(buffers, nulls) {
            if isNull {
                pointers.append(nil)
                continue
            }
            let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, buffer.count))
            copy.initialize(from: buffer, count: buffer.count)
            storage.append(copy)
            pointers.append(UnsafeRawPointer(copy).assumingMemoryBound(to: CChar.self))
        }
        defer { storage.forEach { $0.deallocate() } }
        return body(pointers)
    }
}

/// The rows a statement returned; cleared when the object goes away.
final class PostgresResult {
    private let result: OpaquePointer
    let rows: Int
    private let binary: Bool

    init(_ result: OpaquePointer) {
        self.result = result
        self.rows = Int(PQntuples(result))
        self.binary = PQnfields(result) > 0 && PQfformat(result, 0) == 1
    }

    deinit { PQclear(result) }

    /// The number of rows a command touched (`UPDATE`, `DELETE`, `INSERT`).
    var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    func text(_ row: Int, _ column: Int) -> String {
        withBytes(row, column) { String(decoding: $0, as: UTF8.self) }
    }

    func optionalText(_ row: Int, _ column: Int) -> String? { isNull(row, column) ? nil : text(row, column) }

    func int(_ row: Int, _ column: Int) -> Int64 {
        guard !isNull(row, column) else { return 0 }
        if binary {
            return withBytes(row, column) { bytes in
                var value: Int64 = 0
                for byte in bytes { value = value << 8 | Int64(byte) }
                // Narrower integers (int4, int2) are sign-extended.
                let shift = (8 - bytes.count) * 8
                return bytes.count < 8 ? (value << shift) >> shift : value
            }
        }
        return Int64(text(row, column)) ?? 0
    }

    func double(_ row: Int, _ column: Int) -> Double { Double(text(row, column)) ?? 0 }

    /// A float32 `bytea` column (binary results only).
    func floats(_ row: Int, _ column: Int) -> [Float] {
        withBytes(row, column) { bytes in
            // Copied, not bound: a value inside libpq's result block need not be 4-byte aligned.
            guard bytes.count % 4 == 0, let base = bytes.baseAddress else { return [] }
            return [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
                memcpy(buffer.baseAddress!, base, bytes.count)
                count = bytes.count / 4
            }
        }
    }

    /// The column's bytes, valid during the call.
    func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        guard let value = PQgetvalue(result, Int32(row), Int32(column)) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: UnsafeRawPointer(value), count: length))
    }
}
