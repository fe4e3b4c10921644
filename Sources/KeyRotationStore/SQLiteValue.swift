package import Foundation
package import KeyRotation

/// A value bound to, or read from, an SQLite statement.
package enum SQLiteValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    /// An integer from a Swift `Int`.
    package static func int(_ value: Int) -> Self { .integer(Int64(value)) }

    /// A timestamp as nanoseconds since the Unix epoch.
    package static func timestamp(_ value: Timestamp) -> Self { .integer(value.nanosecondsSinceEpoch) }

    /// An optional text, `NULL` when absent.
    package static func optionalText(_ value: String?) -> Self { value.map { .text($0) } ?? .null }
}

/// One result row of a query, read by column index.
package struct SQLiteRow: Sendable {
    package var values: [SQLiteValue]

    package init(values: [SQLiteValue]) {
        self.values = values
    }

    /// The column as a 64-bit integer (0 for `NULL`).
    package func int64(_ column: Int) -> Int64 {
        switch self.values[column] {
        case .integer(let value): value
        case .real(let value): Int64(value)
        case .text(let value): Int64(value) ?? 0
        case .null, .blob: 0
        }
    }

    /// The column as an `Int` (0 for `NULL`).
    package func int(_ column: Int) -> Int { Int(self.int64(column)) }

    /// The column as an optional 64-bit integer.
    package func optionalInt64(_ column: Int) -> Int64? {
        if case .null = self.values[column] { return nil }
        return self.int64(column)
    }

    /// The column as a timestamp (nanoseconds since the epoch).
    package func timestamp(_ column: Int) -> Timestamp { Timestamp(nanosecondsSinceEpoch: self.int64(column)) }

    /// The column as an optional timestamp.
    package func optionalTimestamp(_ column: Int) -> Timestamp? {
        self.optionalInt64(column).map { Timestamp(nanosecondsSinceEpoch: $0) }
    }

    /// The column as text (`""` for `NULL`).
    package func text(_ column: Int) -> String { self.optionalText(column) ?? "" }

    /// The column as optional text.
    package func optionalText(_ column: Int) -> String? {
        switch self.values[column] {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .blob(let value): String(decoding: value, as: UTF8.self)
        case .null: nil
        }
    }

    /// The column as bytes (empty for `NULL`).
    package func blob(_ column: Int) -> Data {
        switch self.values[column] {
        case .blob(let value): value
        case .text(let value): Data(value.utf8)
        case .null, .integer, .real: Data()
        }
    }
}
