// Tolerant number decoding: Aptos sends u64 values as JSON strings, Nodit sometimes as numbers; accept both.

extension KeyedDecodingContainer {
    /// A u64 sent as a decimal string or as a JSON number.
    package func decodeUInt64(forKey key: Key) throws -> UInt64 {
        if let text = try? self.decode(String.self, forKey: key) {
            guard let value = UInt64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key,
                    in: self,
                    debugDescription:
                        "expected an unsigned 64-bit integer as a decimal string, got \"\(text.prefix(40))\""
                )
            }
            return value
        }
        return try self.decode(UInt64.self, forKey: key)
    }

    /// Like ``decodeUInt64(forKey:)``, but `nil` when the member is missing or `null`.
    package func decodeUInt64IfPresent(forKey key: Key) throws -> UInt64? {
        guard self.contains(key), try !self.decodeNil(forKey: key) else { return nil }
        return try self.decodeUInt64(forKey: key)
    }

    /// An `Int` sent as a JSON number or as a decimal string.
    package func decodeInt(forKey key: Key) throws -> Int {
        if let value = try? self.decode(Int.self, forKey: key) { return value }
        let text = try self.decode(String.self, forKey: key)
        guard let value = Int(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: self,
                debugDescription: "expected an integer as a number or a decimal string, got \"\(text.prefix(40))\""
            )
        }
        return value
    }

    /// Like ``decodeInt(forKey:)``, but `nil` when the member is missing or `null`.
    package func decodeIntIfPresent(forKey key: Key) throws -> Int? {
        guard self.contains(key), try !self.decodeNil(forKey: key) else { return nil }
        return try self.decodeInt(forKey: key)
    }

    /// A decimal value kept as text, sent as a string or as a JSON number (an integer keeps its digits).
    package func decodeDecimalString(forKey key: Key) throws -> String {
        if let text = try? self.decode(String.self, forKey: key) { return text }
        if let value = try? self.decode(Int64.self, forKey: key) { return String(value) }
        if let value = try? self.decode(UInt64.self, forKey: key) { return String(value) }
        return String(try self.decode(Double.self, forKey: key))
    }

    /// Like ``decodeDecimalString(forKey:)``, but `nil` when the member is missing or `null`.
    package func decodeDecimalStringIfPresent(forKey key: Key) throws -> String? {
        guard self.contains(key), try !self.decodeNil(forKey: key) else { return nil }
        return try self.decodeDecimalString(forKey: key)
    }
}
