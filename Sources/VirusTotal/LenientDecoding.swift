import Foundation
import KeyRotation

/// A coding key made from any string: the attribute names VirusTotal sends.
struct AnyCodingKey: CodingKey, Hashable, Sendable, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    init(stringLiteral value: String) { self.stringValue = value }
}

/// A value that decodes to `nil` instead of failing when the JSON holds something else.
struct Lossy<Value: Decodable>: Decodable {
    var value: Value?

    init(from decoder: any Decoder) throws {
        self.value = try? decoder.singleValueContainer().decode(Value.self)
    }
}

/// Tolerant reads: a missing, `null` or wrongly typed field becomes `nil` (or is dropped from a collection)
/// instead of failing the whole report, since VirusTotal adds and changes attributes without notice.
extension KeyedDecodingContainer where Key == AnyCodingKey {
    /// The value at `key`, or `nil` when it is missing, `null` or of another type.
    func lenient<T: Decodable>(_ key: AnyCodingKey, as type: T.Type = T.self) -> T? {
        (try? self.decodeIfPresent(T.self, forKey: key)) ?? nil
    }

    /// The strings of the array at `key`; elements that are not strings are dropped; `[]` when missing.
    func lenientStrings(_ key: AnyCodingKey) -> [String] {
        (self.lenient(key, as: [Lossy<String>].self) ?? []).compactMap(\.value)
    }

    /// The string values of the object at `key`; entries that are not strings are dropped; `[:]` when missing.
    func lenientStringMap(_ key: AnyCodingKey) -> [String: String] {
        (self.lenient(key, as: [String: Lossy<String>].self) ?? [:]).compactMapValues(\.value)
    }

    /// A Unix time in seconds (an integer, or a number with a fraction) as a ``Timestamp``; `nil` when missing,
    /// of another type or outside the years 1970–2262 that a timestamp holds.
    func lenientTimestamp(_ key: AnyCodingKey) -> Timestamp? {
        if let seconds = self.lenient(key, as: Int64.self) {
            let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            return overflow || seconds < 0 ? nil : Timestamp(nanosecondsSinceEpoch: nanoseconds)
        }
        if let seconds = self.lenient(key, as: Double.self), seconds.isFinite, seconds >= 0, seconds < 9.2e9 {
            return Timestamp(secondsSinceEpoch: seconds)
        }
        return nil
    }

    /// The object at `key` as a container, or `nil` when it is missing or not an object.
    func lenientObject(_ key: AnyCodingKey) -> KeyedDecodingContainer<AnyCodingKey>? {
        guard self.contains(key) else { return nil }
        return try? self.nestedContainer(keyedBy: AnyCodingKey.self, forKey: key)
    }
}
