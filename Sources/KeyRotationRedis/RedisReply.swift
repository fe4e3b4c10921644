/// One reply from Redis, RESP2 or RESP3.
package indirect enum RedisReply: Hashable, Sendable {
    /// `+OK`, and RESP3 verbatim strings.
    case simple(String)
    /// `-ERR …` (and RESP3 blob errors).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$n` bulk string bytes.
    case bulk([UInt8])
    /// `*n` arrays, RESP3 sets and pushes; maps flattened to key, value, key, value.
    case array([RedisReply])
    /// RESP3 `,` double.
    case double(Double)
    /// RESP3 `#t` / `#f`.
    case boolean(Bool)
    /// `$-1`, `*-1`, RESP3 `_`.
    case null

    /// The reply as text, for bulk and simple strings.
    package var string: String? {
        switch self {
        case .simple(let text): text
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The reply as an integer: integers, and bulk strings holding one.
    package var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk, .simple: self.string.flatMap { Int64($0) }
        default: nil
        }
    }
}

/// Reads RESP2/RESP3 replies from bytes as they arrive.
///
/// ``parse(_:from:)`` returns `nil` while a reply is incomplete and throws ``RedisError/Code/malformedReply`` on
/// bytes that can't be RESP; aggregate sizes and nesting are capped so a hostile peer can't make it allocate
/// without bound.
package enum RESPParser {
    /// The largest bulk string accepted (Redis's own `proto-max-bulk-len` default is 512 MB; this store needs
    /// a few bytes).
    package static let maximumBulkLength = 64 << 20
    /// The largest aggregate accepted.
    package static let maximumElements = 1 << 20
    /// The deepest nesting accepted.
    package static let maximumDepth = 16

    /// Parses one reply starting at `index`; on success moves `index` past it.
    package static func parse(_ bytes: [UInt8], from index: inout Int) throws(RedisError) -> RedisReply? {
        var cursor = index
        guard let reply = try self.parse(bytes, at: &cursor, depth: 0) else { return nil }
        index = cursor
        return reply
    }

    private static func parse(_ bytes: [UInt8], at cursor: inout Int, depth: Int) throws(RedisError) -> RedisReply? {
        guard depth <= Self.maximumDepth else {
            throw Self.malformed("replies nested deeper than \(Self.maximumDepth)")
        }
        guard cursor < bytes.count else { return nil }
        let marker = bytes[cursor]
        guard let line = try self.line(bytes, after: cursor) else { return nil }
        let header = bytes[(cursor + 1)..<line.end]
        cursor = line.next
        switch marker {
        case UInt8(ascii: "+"): return .simple(String(decoding: header, as: UTF8.self))
        case UInt8(ascii: "-"): return .error(String(decoding: header, as: UTF8.self))
        case UInt8(ascii: ":"): return .integer(try self.integer(header))
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"):
            switch String(decoding: header, as: UTF8.self) {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            default: throw Self.malformed("a boolean that is neither t nor f")
            }
        case UInt8(ascii: ","):
            let text = String(decoding: header, as: UTF8.self)
            switch text {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let value = Double(text) else { throw Self.malformed("a double that is not a number") }
                return .double(value)
            }
        case UInt8(ascii: "("): return .simple(String(decoding: header, as: UTF8.self))  // big number, as text
        case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
            let length = try self.integer(header)
            if length == -1 && marker == UInt8(ascii: "$") { return .null }
            guard length >= 0 && length <= Self.maximumBulkLength else {
                throw Self.malformed("a bulk string of length \(length)")
            }
            let end = cursor + Int(length)
            guard end + 2 <= bytes.count else { return nil }
            guard bytes[end] == 13 && bytes[end + 1] == 10 else {
                throw Self.malformed("a bulk string not followed by CRLF")
            }
            var body = Array(bytes[cursor..<end])
            cursor = end + 2
            switch marker {
            case UInt8(ascii: "!"): return .error(String(decoding: body, as: UTF8.self))
            case UInt8(ascii: "="):
                if body.count >= 4 && body[3] == UInt8(ascii: ":") { body.removeFirst(4) }  // "txt:" encoding
                return .simple(String(decoding: body, as: UTF8.self))
            default: return .bulk(body)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try self.integer(header)
            if count == -1 && marker == UInt8(ascii: "*") { return .null }
            let factor: Int64 = marker == UInt8(ascii: "%") || marker == UInt8(ascii: "|") ? 2 : 1
            guard count >= 0 && count * factor <= Self.maximumElements else {
                throw Self.malformed("an aggregate of \(count) elements")
            }
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(min(count * factor, 1024)))
            for _ in 0..<(count * factor) {
                guard let element = try self.parse(bytes, at: &cursor, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            if marker == UInt8(ascii: "|") {  // an attribute annotates the reply that follows: skip it
                return try self.parse(bytes, at: &cursor, depth: depth + 1)
            }
            return .array(elements)
        default:
            let shown = marker >= 32 && marker < 127 ? "'\(Character(Unicode.Scalar(marker)))'" : "byte \(marker)"
            throw Self.malformed("a reply starting with \(shown)")
        }
    }

    private static func line(_ bytes: [UInt8], after start: Int) throws(RedisError) -> (end: Int, next: Int)? {
        var index = start + 1
        let limit = min(bytes.count, start + 1 + 64 * 1024)
        while index + 1 < limit {
            if bytes[index] == 13 {
                guard bytes[index + 1] == 10 else { throw Self.malformed("a CR not followed by LF") }
                return (index, index + 2)
            }
            index += 1
        }
        if bytes.count - start > 64 * 1024 { throw Self.malformed("a header line longer than 64 KiB") }
        return nil
    }

    private static func integer(_ header: ArraySlice<UInt8>) throws(RedisError) -> Int64 {
        guard let value = Int64(String(decoding: header, as: UTF8.self)) else {
            throw Self.malformed("a length or integer that is not a number")
        }
        return value
    }

    private static func malformed(_ what: String) -> RedisError {
        RedisError(
            .malformedReply,
            "the server sent \(what), which is not RESP: check that the URL points at a Redis server"
        )
    }
}
