import CSQLite
import Foundation
import KeyRotation

/// An open SQLite connection with a cache of prepared statements.
///
/// Not `Sendable`: it lives inside ``SQLiteDatabase``'s `Mutex` and is only handed to code that runs under that
/// lock. It is valid for the duration of the closure it is passed to; using it afterwards is a programming error
/// that a precondition catches.
package final class SQLiteConnection {
    /// The file this connection reads and writes.
    package let path: String
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Whether code may use the connection now (set by ``SQLiteDatabase`` around each closure).
    var isLent = false

    init(path: String, handle: OpaquePointer) {
        self.path = path
        self.handle = handle
    }

    deinit {
        self.close()
    }

    /// Finalizes every statement and closes the connection; later use throws.
    func close() {
        for statement in self.statements.values {
            sqlite3_finalize(statement)
        }
        self.statements = [:]
        if let handle = self.handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs one statement to completion.
    package func execute(_ sql: String, _ values: [SQLiteValue] = []) throws {
        _ = try self.run(sql, values, collect: false)
    }

    /// Runs one statement and returns its rows.
    package func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [SQLiteRow] {
        try self.run(sql, values, collect: true)
    }

    /// Runs one statement and returns its first row, if any.
    package func queryRow(_ sql: String, _ values: [SQLiteValue] = []) throws -> SQLiteRow? {
        try self.run(sql, values, collect: true).first
    }

    /// Runs a script of several statements without parameters (schema changes).
    package func executeScript(_ sql: String) throws {
        let handle = try self.openHandle()
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw KeyStateStoreError.sqlite(code: code, detail: text, path: self.path)
        }
    }

    /// Rows changed by the last `INSERT`, `UPDATE` or `DELETE`.
    package var changes: Int {
        guard let handle = self.handle else { return 0 }
        return Int(sqlite3_changes(handle))
    }

    /// The rowid of the last successful `INSERT`.
    package var lastInsertRowID: Int64 {
        guard let handle = self.handle else { return 0 }
        return sqlite3_last_insert_rowid(handle)
    }

    private func openHandle() throws -> OpaquePointer {
        precondition(self.isLent, "an SQLite connection was used outside the closure it was lent to")
        guard let handle = self.handle else {
            throw KeyStateStoreError(.unavailable, "the store at \(self.path) is closed")
        }
        return handle
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        if let statement = self.statements[sql] { return statement }
        let handle = try self.openHandle()
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw self.error(code)
        }
        self.statements[sql] = statement
        return statement
    }

    private func run(_ sql: String, _ values: [SQLiteValue], collect: Bool) throws -> [SQLiteRow] {
        let statement = try self.prepare(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .integer(let integer): code = sqlite3_bind_int64(statement, index, integer)
            case .real(let real): code = sqlite3_bind_double(statement, index, real)
            case .text(let text): code = sqlite3_bind_text(statement, index, text, -1, transientDestructor)
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    // A zero-length blob needs a non-nil pointer to read as a blob rather than NULL.
                    sqlite3_bind_blob64(
                        statement,
                        index,
                        bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                        UInt64(bytes.count),
                        transientDestructor
                    )
                }
            }
            guard code == SQLITE_OK else { throw self.error(code) }
        }
        var rows: [SQLiteRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw self.error(code) }
            if collect {
                rows.append(Self.row(statement))
            }
        }
        return rows
    }

    private static func row(_ statement: OpaquePointer) -> SQLiteRow {
        let count = sqlite3_column_count(statement)
        var values: [SQLiteValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            switch sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(statement, column)))
            case SQLITE_TEXT:
                values.append(.text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(statement, column))
                if let bytes = sqlite3_column_blob(statement, column), length > 0 {
                    values.append(.blob(Data(bytes: bytes, count: length)))
                } else {
                    values.append(.blob(Data()))
                }
            default: values.append(.null)
            }
        }
        return SQLiteRow(values: values)
    }

    private func error(_ code: Int32) -> KeyStateStoreError {
        let detail = self.handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return KeyStateStoreError.sqlite(code: code, detail: detail, path: self.path)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
