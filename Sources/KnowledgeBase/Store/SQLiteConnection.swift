import CSQLite
import Foundation

/// One SQLite connection; the handle is closed when the object goes away.
///
/// Not thread-safe by itself: `SQLiteStore` serialises access with a lock.
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String
    private var statements: [String: SQLiteStatement] = [:]

    init(path: String, readOnly: Bool = false) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError.cannotOpen(path: path, reason: reason)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw StoreError.sqlite(code: rc, message: message, sql: sql)
        }
    }

    /// A prepared statement, cached by its SQL text and reset for reuse.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Resets every cached statement, ending the read transactions of statements stopped before their last row.
    func resetStatements() {
        for statement in statements.values { statement.reset() }
    }

    /// Runs `body` in a transaction; any error rolls everything back.
    ///
    /// `BEGIN IMMEDIATE` can fail with SQLITE_BUSY without waiting for the busy timeout when another process's
    /// commit lands between taking the read snapshot and the write lock (SQLITE_BUSY_SNAPSHOT); nothing has happened
    /// yet then, so it is tried again, for up to about five seconds.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            do {
                try execute("BEGIN IMMEDIATE")
                break
            } catch StoreError.sqlite(let code, _, _) where code & 0xff == SQLITE_BUSY && attempts < 500 {
                attempts += 1
                usleep(10_000)
            }
        }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    func error(_ code: Int32, sql: String) -> StoreError {
        .sqlite(code: code, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// A prepared statement; finalized in `deinit`.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let connection: SQLiteConnection
    let sql: String

    init(connection: SQLiteConnection, sql: String) throws {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw connection.error(rc, sql: sql) }
        self.statement = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(statement) }

    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    /// Binds values to `?` placeholders in order.
    @discardableResult
    func bind(_ values: SQLiteValue...) throws -> SQLiteStatement {
        try bind(values)
    }

    @discardableResult
    func bind(_ values: [SQLiteValue]) throws -> SQLiteStatement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let number): rc = sqlite3_bind_int64(statement, index, number)
            case .real(let number): rc = sqlite3_bind_double(statement, index, number)
            case .text(let text):
                // With an explicit length SQLite would keep a NUL and everything after it, but C strings read from
                // the file stop there, so text with a NUL is refused rather than cut short when read back.
                guard !text.utf8.contains(0) else { throw StoreError.nulInText }
                rc = csqlite_bind_text_transient(statement, index, text, Int32(text.utf8.count))
            case .blob(let bytes): rc = bytes.withUnsafeBytes { bindBlob($0, at: index) }
            case .floats(let floats): rc = floats.withUnsafeBytes { bindBlob($0, at: index) }
            }
            if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
        }
        return self
    }

    private func bindBlob(_ raw: UnsafeRawBufferPointer, at index: Int32) -> Int32 {
        // A zero-length blob still needs a non-null pointer, or SQLite stores NULL.
        csqlite_bind_blob_transient(statement, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(raw.count))
    }

    /// Steps once; returns true while a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc, sql: sql)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        while try step() {}
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(statement, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: pointer)
    }

    /// Calls `body` with the column's bytes, valid only during the call (no copy).
    func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let count = Int(sqlite3_column_bytes(statement, column))
        let pointer = sqlite3_column_blob(statement, column)
        return try body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }
}

/// A value bound to a statement parameter.
enum SQLiteValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    /// Float32 values stored as a little-endian BLOB (every platform Swift runs kb on is little-endian).
    case floats([Float])

    static func int(_ value: Int) -> SQLiteValue { .integer(Int64(value)) }
}
