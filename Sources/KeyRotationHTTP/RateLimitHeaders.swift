public import KeyRotation

/// What a response's headers say about the key's rate limit: `Retry-After`, `X-RateLimit-*`, and the IETF
/// `RateLimit` / `RateLimit-Policy` fields.
///
/// A pure value: parsing does no I/O and reads no clock (the caller passes `now`). A field that is absent or
/// malformed is `nil`; parsing never fails.
///
/// Sources, first match per field wins:
/// - `Retry-After` (RFC 9110 §10.2.3): delay seconds or an HTTP-date; a date in the past means zero.
/// - `RateLimit` and `RateLimit-Policy` structured fields (draft-ietf-httpapi-ratelimit-headers):
///   `RateLimit: "default";r=50;t=30` with `RateLimit-Policy: "default";q=100;w=60`; with several policies the
///   one with the fewest remaining units is reported. The older dictionary form
///   `RateLimit: limit=100, remaining=50, reset=30` and the split `RateLimit-Limit` / `-Remaining` / `-Reset`
///   fields are read too.
/// - `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`: a reset above 10^9 is a Unix time in
///   seconds (above 10^12, in milliseconds), anything smaller is seconds from `now`.
public struct RateLimitHeaders: Hashable, Sendable {
    /// How long to wait before the next request, from `Retry-After`; zero for a date already past.
    public var retryAfter: Duration?
    /// The quota of the current window (requests or units).
    public var limit: Int?
    /// The units left in the current window.
    public var remaining: Int?
    /// When the current window resets (the quota refills).
    public var resetAt: Timestamp?
    /// The window's length, from `RateLimit-Policy`'s `w` parameter.
    public var window: Duration?

    /// Creates a value from its fields; every field defaults to `nil`.
    public init(
        retryAfter: Duration? = nil,
        limit: Int? = nil,
        remaining: Int? = nil,
        resetAt: Timestamp? = nil,
        window: Duration? = nil
    ) {
        self.retryAfter = retryAfter
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.window = window
    }

    /// Reads the rate-limit fields of `headers`.
    ///
    /// - Parameters:
    ///   - headers: A response's header fields (names match case-insensitively).
    ///   - now: The instant the response arrived; delta values (seconds) are counted from it.
    public init(_ headers: HTTPHeaders, now: Timestamp) {
        self.init()
        // Most responses carry none of these fields: one pass over the names saves a dozen lookups.
        guard headers.containsName(withPrefixIn: Self.fieldPrefixes) else { return }
        self.retryAfter = headers["Retry-After"].flatMap { Self.retryAfter($0, now: now) }

        if let value = headers.values(for: "RateLimit").joined(separator: ", ").nonEmpty {
            self.readIETF(value, policy: headers.values(for: "RateLimit-Policy").joined(separator: ", "), now: now)
        } else if let policy = headers.values(for: "RateLimit-Policy").joined(separator: ", ").nonEmpty {
            self.readIETF("", policy: policy, now: now)
        }
        self.limit = self.limit ?? headers["RateLimit-Limit"].flatMap(Self.leadingInteger)
        self.remaining = self.remaining ?? headers["RateLimit-Remaining"].flatMap(Self.leadingInteger)
        if self.resetAt == nil, let seconds = headers["RateLimit-Reset"].flatMap(Self.nonNegativeNumber) {
            self.resetAt = now.advanced(by: .nanoseconds(Self.nanoseconds(seconds)))
        }

        self.limit = self.limit ?? headers["X-RateLimit-Limit"].flatMap(Self.leadingInteger)
        self.remaining = self.remaining ?? headers["X-RateLimit-Remaining"].flatMap(Self.leadingInteger)
        if self.resetAt == nil, let value = headers["X-RateLimit-Reset"].flatMap(Self.nonNegativeNumber) {
            self.resetAt = Self.resetInstant(value, now: now)
        }
    }

    /// What the name of every field read here starts with (`Retry-After`, `RateLimit*`, `X-RateLimit-*`).
    private static let fieldPrefixes: [StaticString] = ["retry-after", "ratelimit", "x-ratelimit-"]

    /// Whether no rate-limit information was found.
    public var isEmpty: Bool {
        self.retryAfter == nil && self.limit == nil && self.remaining == nil && self.resetAt == nil
            && self.window == nil
    }

    /// Parses a `Retry-After` value: delay seconds (digits only) or an HTTP-date; `nil` when it is neither.
    ///
    /// - Parameters:
    ///   - value: The field's value.
    ///   - now: The instant the response arrived.
    /// - Returns: The wait, zero for a date already past; `nil` for a negative number or garbage.
    public static func retryAfter(_ value: String, now: Timestamp) -> Duration? {
        let trimmed = value.trimmingWhitespace
        if let seconds = Self.digits(trimmed) { return .seconds(seconds) }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let wait = now.duration(to: date)
        return wait > .zero ? wait : .zero
    }

    /// A reset value from `X-RateLimit-Reset`: epoch seconds above 10^9, epoch milliseconds above 10^12, else a
    /// delta in seconds.
    static func resetInstant(_ value: Double, now: Timestamp) -> Timestamp {
        if value > 1e12 { return Timestamp(secondsSinceEpoch: value / 1000) }
        if value > 1e9 { return Timestamp(secondsSinceEpoch: value) }
        return now.advanced(by: .nanoseconds(Self.nanoseconds(value)))
    }

    private mutating func readIETF(_ value: String, policy: String, now: Timestamp) {
        if let items = StructuredField.list(value), !items.isEmpty {
            // The policy with the fewest remaining units is the one that binds.
            let chosen =
                items.filter { $0.parameters["r"]?.integer != nil }
                .min { ($0.parameters["r"]?.integer ?? .max) < ($1.parameters["r"]?.integer ?? .max) }
                ?? items[0]
            self.remaining = chosen.parameters["r"]?.integer.flatMap(Self.nonNegative)
            if let seconds = chosen.parameters["t"]?.integer.flatMap(Self.nonNegative) {
                self.resetAt = now.advanced(by: .seconds(seconds))
            }
            self.readPolicy(policy, name: chosen.bare.name)
        } else if let members = StructuredField.dictionary(value) {
            let fields = Dictionary(members.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            self.limit = fields["limit"]?.integer.flatMap(Self.nonNegative)
            self.remaining = fields["remaining"]?.integer.flatMap(Self.nonNegative)
            if let seconds = fields["reset"]?.integer.flatMap(Self.nonNegative) {
                self.resetAt = now.advanced(by: .seconds(seconds))
            }
            self.readPolicy(policy, name: nil)
        } else {
            self.readPolicy(policy, name: nil)
        }
    }

    private mutating func readPolicy(_ value: String, name: String?) {
        guard let items = StructuredField.list(value), !items.isEmpty else { return }
        let policy = items.first { name != nil && $0.bare.name == name } ?? items[0]
        let quota = policy.parameters["q"]?.integer ?? policy.bare.integer
        self.limit = self.limit ?? quota.flatMap(Self.nonNegative)
        if let seconds = policy.parameters["w"]?.integer.flatMap(Self.nonNegative), seconds > 0 {
            self.window = .seconds(seconds)
        }
    }

    private static func nonNegative(_ value: Int) -> Int? { value >= 0 ? value : nil }

    private static func digits(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    /// The integer before the first `,` or `;` (`"100, 100;w=60"` → 100); `nil` unless it is all digits.
    private static func leadingInteger(_ value: String) -> Int? {
        let head = value.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let item = head.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return Self.digits(String(item).trimmingWhitespace)
    }

    private static func nonNegativeNumber(_ value: String) -> Double? {
        let trimmed = value.trimmingWhitespace
        guard !trimmed.isEmpty,
            trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == UInt8(ascii: ".") }),
            let number = Double(trimmed), number.isFinite, number >= 0, number < 1e15
        else { return nil }
        return number
    }

    private static func nanoseconds(_ seconds: Double) -> Int64 {
        let value = (seconds * 1e9).rounded()
        return value >= Double(Int64.max) ? .max : Int64(value)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isSpace($0) }), let last = self.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }

    fileprivate var nonEmpty: String? { self.trimmingWhitespace.isEmpty ? nil : self }
}

/// A subset of RFC 8941 structured fields: lists and dictionaries of bare items with parameters.
private enum StructuredField {
    enum BareItem: Hashable {
        case integer(Int)
        case decimal(Double)
        case string(String)
        case token(String)
        case boolean(Bool)

        var integer: Int? {
            if case .integer(let value) = self { return value }
            return nil
        }

        /// A policy name: a string or a token.
        var name: String? {
            switch self {
            case .string(let value), .token(let value): value
            default: nil
            }
        }
    }

    struct Item {
        var bare: BareItem
        var parameters: [String: BareItem]
    }

    /// Parses an sf-list; `nil` when malformed.
    static func list(_ text: String) -> [Item]? {
        var scanner = Scanner(text)
        var items: [Item] = []
        scanner.skipSpaces()
        if scanner.isAtEnd { return [] }
        while true {
            guard let bare = scanner.bareItem(), let parameters = scanner.parameters() else { return nil }
            items.append(Item(bare: bare, parameters: parameters))
            scanner.skipSpaces()
            if scanner.isAtEnd { return items }
            guard scanner.take(",") else { return nil }
            scanner.skipSpaces()
            if scanner.isAtEnd { return nil }
        }
    }

    /// Parses an sf-dictionary into its members, in order; `nil` when malformed.
    static func dictionary(_ text: String) -> [(key: String, value: BareItem)]? {
        var scanner = Scanner(text)
        var members: [(key: String, value: BareItem)] = []
        scanner.skipSpaces()
        if scanner.isAtEnd { return [] }
        while true {
            guard let key = scanner.key() else { return nil }
            var value = BareItem.boolean(true)
            if scanner.take("=") {
                guard let bare = scanner.bareItem() else { return nil }
                value = bare
            }
            guard scanner.parameters() != nil else { return nil }
            members.append((key, value))
            scanner.skipSpaces()
            if scanner.isAtEnd { return members }
            guard scanner.take(",") else { return nil }
            scanner.skipSpaces()
            if scanner.isAtEnd { return nil }
        }
    }

    struct Scanner {
        private let bytes: [UInt8]
        private var index = 0

        init(_ text: String) { self.bytes = Array(text.utf8) }

        var isAtEnd: Bool { self.index >= self.bytes.count }
        private var current: UInt8? { self.isAtEnd ? nil : self.bytes[self.index] }

        mutating func skipSpaces() {
            while let byte = self.current, byte == 0x20 || byte == 0x09 { self.index += 1 }
        }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard self.current == UInt8(ascii: character) else { return false }
            self.index += 1
            return true
        }

        mutating func key() -> String? {
            guard let first = self.current, Self.isLowerAlpha(first) || first == UInt8(ascii: "*") else { return nil }
            var key: [UInt8] = []
            while let byte = self.current,
                Self.isLowerAlpha(byte) || Self.isDigit(byte) || "_-.*".utf8.contains(byte)
            {
                key.append(byte)
                self.index += 1
            }
            return String(decoding: key, as: UTF8.self)
        }

        mutating func parameters() -> [String: BareItem]? {
            var parameters: [String: BareItem] = [:]
            while self.take(";") {
                self.skipSpaces()
                guard let key = self.key() else { return nil }
                var value = BareItem.boolean(true)
                if self.take("=") {
                    guard let bare = self.bareItem() else { return nil }
                    value = bare
                }
                parameters[key] = value
            }
            return parameters
        }

        mutating func bareItem() -> BareItem? {
            guard let first = self.current else { return nil }
            if first == UInt8(ascii: "\"") { return self.string() }
            if first == UInt8(ascii: "-") || Self.isDigit(first) { return self.number() }
            if first == UInt8(ascii: "?") {
                self.index += 1
                if self.take("0") { return .boolean(false) }
                if self.take("1") { return .boolean(true) }
                return nil
            }
            if Self.isAlpha(first) || first == UInt8(ascii: "*") { return self.token() }
            return nil
        }

        private mutating func string() -> BareItem? {
            self.index += 1  // opening quote
            var value: [UInt8] = []
            while let byte = self.current {
                self.index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return .string(String(decoding: value, as: UTF8.self))
                case UInt8(ascii: "\\"):
                    guard let escaped = self.current, escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\")
                    else { return nil }
                    value.append(escaped)
                    self.index += 1
                case 0x20...0x7E:
                    value.append(byte)
                default:
                    return nil
                }
            }
            return nil  // unterminated
        }

        private mutating func number() -> BareItem? {
            var text: [UInt8] = []
            if self.take("-") { text.append(UInt8(ascii: "-")) }
            var digits = 0
            var isDecimal = false
            while let byte = self.current, Self.isDigit(byte) || (byte == UInt8(ascii: ".") && !isDecimal) {
                if byte == UInt8(ascii: ".") { isDecimal = true } else { digits += 1 }
                text.append(byte)
                self.index += 1
            }
            guard digits > 0, digits <= 15, text.last != UInt8(ascii: ".") else { return nil }
            let string = String(decoding: text, as: UTF8.self)
            if isDecimal { return Double(string).map(BareItem.decimal) }
            return Int(string).map(BareItem.integer)
        }

        private mutating func token() -> BareItem? {
            var value: [UInt8] = []
            while let byte = self.current, Self.isTokenCharacter(byte) {
                value.append(byte)
                self.index += 1
            }
            return .token(String(decoding: value, as: UTF8.self))
        }

        private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        private static func isLowerAlpha(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) }
        private static func isAlpha(_ byte: UInt8) -> Bool { Self.isLowerAlpha(byte) || (0x41...0x5A).contains(byte) }
        private static func isTokenCharacter(_ byte: UInt8) -> Bool {
            Self.isAlpha(byte) || Self.isDigit(byte) || "!#$%&'*+-.^_`|~:/".utf8.contains(byte)
        }
    }
}

/// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms.
private enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Timestamp? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 6 where parts[0].hasSuffix(",") && parts[5] == "GMT":
            // Sun, 06 Nov 1994 08:49:37 GMT
            guard parts[3].count == 4 else { return nil }
            return Self.make(day: parts[1], month: parts[2], year: parts[3], time: parts[4])
        case 4 where parts[0].hasSuffix(",") && parts[3] == "GMT":
            // Sunday, 06-Nov-94 08:49:37 GMT
            let date = parts[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard date.count == 3, date[2].count == 2, let twoDigits = Int(date[2]) else { return nil }
            let year = twoDigits < 70 ? 2000 + twoDigits : 1900 + twoDigits
            return Self.make(day: date[0], month: date[1], year: String(year), time: parts[2])
        case 5 where !parts[0].hasSuffix(","):
            // Sun Nov  6 08:49:37 1994
            guard parts[4].count == 4 else { return nil }
            return Self.make(day: parts[2], month: parts[1], year: parts[4], time: parts[3])
        default:
            return nil
        }
    }

    private static func number(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.count <= 4, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }

    private static func make(day: String, month: String, year: String, time: String) -> Timestamp? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
            let day = Self.number(day), (1...31).contains(day),
            let monthIndex = Self.months.firstIndex(of: month.lowercased()),
            let year = Self.number(year), year >= 1970,
            let hour = Self.number(clock[0]), (0...23).contains(hour),
            let minute = Self.number(clock[1]), (0...59).contains(minute),
            let second = Self.number(clock[2]), (0...60).contains(second)
        else { return nil }
        let days = Self.daysFromCivil(year: year, month: monthIndex + 1, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Timestamp(nanosecondsSinceEpoch: seconds * 1_000_000_000)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
