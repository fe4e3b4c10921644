public import Foundation

/// Where a pool's keys come from: the environment or a `.env` file.
///
/// For a prefix `VT` it reads `VT_API_KEYS` (a comma-separated list), `VT_API_KEY` and `VT_API_KEY_1` … `VT_API_KEY_N`
/// (numbering may skip; every number up to 1,000 is tried), trims each value, drops empties, removes duplicates
/// and keeps the order. Errors name the variables read, never a value.
public struct KeySource: Sendable {
    /// The prefix, upper case (`VT`, `APTOS`, `NODIT`).
    public let prefix: String
    private let variables: @Sendable () -> [String: String]
    private let origin: String

    /// Keys from the process environment.
    public static func environment(prefix: String) -> KeySource {
        KeySource(prefix: prefix, origin: "the environment") { ProcessInfo.processInfo.environment }
    }

    /// Keys from a given set of variables (tests, or a configuration system of your own).
    public static func variables(_ variables: [String: String], prefix: String) -> KeySource {
        KeySource(prefix: prefix, origin: "the given variables") { variables }
    }

    /// Keys from a `.env` file (`NAME=value` lines, `#` comments, optional `export ` and quotes).
    ///
    /// - Throws: ``KeySourceError`` if the file can't be read.
    public static func dotEnv(at url: URL, prefix: String) throws -> KeySource {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw KeySourceError(
                .unreadableFile,
                message: "cannot read the .env file at \(url.path): check that it exists and is readable"
            )
        }
        let parsed = Self.parseDotEnv(text)
        return KeySource(prefix: prefix, origin: url.path) { parsed }
    }

    private init(prefix: String, origin: String, variables: @escaping @Sendable () -> [String: String]) {
        self.prefix = prefix.uppercased()
        self.origin = origin
        self.variables = variables
    }

    /// The variable names this source reads, in order of precedence.
    public var variableNames: [String] {
        ["\(self.prefix)_API_KEYS", "\(self.prefix)_API_KEY", "\(self.prefix)_API_KEY_1…N"]
    }

    /// The secrets found, trimmed, de-duplicated, in order; empty if none.
    public func secrets() -> [String] {
        let variables = self.variables()
        var found: [String] = []
        if let list = variables["\(self.prefix)_API_KEYS"] {
            found += list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        if let single = variables["\(self.prefix)_API_KEY"] { found.append(single) }
        let numbered = variables.keys.compactMap { name -> (Int, String)? in
            let head = "\(self.prefix)_API_KEY_"
            guard name.hasPrefix(head), let number = Int(name.dropFirst(head.count)), number >= 1 else { return nil }
            return (number, name)
        }.sorted { $0.0 < $1.0 }
        for (_, name) in numbered { if let value = variables[name] { found.append(value) } }
        var seen = Set<String>()
        return found.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The keys found, labelled `PREFIX-1`, `PREFIX-2`, … in order, each with `limits` and weight 1.
    ///
    /// - Throws: ``KeySourceError`` naming the variables read, never a value: `.noKeys` when none holds a key,
    ///   `.malformedKey` when a key holds a space, a line break or another control character (no provider's key
    ///   does, and a header can't carry a line break: it is a list separated by something other than commas).
    public func keys(limits: [RateLimit] = []) throws -> [APIKey] {
        let secrets = self.secrets()
        guard !secrets.isEmpty else {
            throw KeySourceError(
                .noKeys,
                message: "no API key found in \(self.origin): set \(self.variableNames.joined(separator: ", ")) "
                    + "(for example \(self.prefix)_API_KEYS=key1,key2)"
            )
        }
        if let index = secrets.firstIndex(where: { secret in
            secret.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
        }) {
            throw KeySourceError(
                .malformedKey,
                message: "key \(index + 1) in \(self.origin) (\(self.variableNames.joined(separator: ", "))) holds a "
                    + "space, a line break or another control character, which no API key has: separate keys with "
                    + "commas (for example \(self.prefix)_API_KEYS=key1,key2)"
            )
        }
        return secrets.enumerated().map { index, secret in
            APIKey(secret, label: "\(self.prefix.lowercased())-\(index + 1)", limits: limits)
        }
    }

    /// Parses `.env` text into variables.
    static func parseDotEnv(_ text: String) -> [String: String] {
        var variables: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            if !name.isEmpty { variables[name] = value }
        }
        return variables
    }
}

/// Keys could not be loaded. The message names variables and files, never a value.
public struct KeySourceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable {
        enum Wrapped: Hashable, Sendable { case noKeys, unreadableFile, malformedKey }
        let wrapped: Wrapped
        /// No variable held a key.
        public static let noKeys = Self(wrapped: .noKeys)
        /// A key holds whitespace or a control character: a list separated by something other than commas.
        public static let malformedKey = Self(wrapped: .malformedKey)
        /// The `.env` file can't be read.
        public static let unreadableFile = Self(wrapped: .unreadableFile)
    }

    /// What went wrong.
    public var code: Code
    /// What to do.
    public var message: String

    init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
