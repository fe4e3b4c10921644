import Foundation
import KeyRotation

/// The environment a command runs in: its variables (injectable for tests) and what they configure
/// (the store path, the key pools).
struct CLIEnvironment: Sendable {
    /// The variables.
    let variables: [String: String]

    /// Reads `variables` (default: the process environment).
    init(variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    /// The variable's value, `nil` when unset or empty.
    subscript(name: String) -> String? {
        guard let value = self.variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// The key-state store's path: `--store`, else `KEYROTATION_STORE`, else
    /// `$XDG_DATA_HOME/keyrotation/state.sqlite`, else `~/.local/share/keyrotation/state.sqlite`.
    func storePath(override: String? = nil) -> String {
        if let override, !override.isEmpty { return override }
        if let path = self["KEYROTATION_STORE"] { return path }
        if let data = self["XDG_DATA_HOME"], data.hasPrefix("/") {
            return Self.joined(data, "keyrotation/state.sqlite")
        }
        let home = self["HOME"] ?? NSHomeDirectory()
        return Self.joined(home, ".local/share/keyrotation/state.sqlite")
    }

    /// The provider's keys from the variables, each with `limits`.
    ///
    /// - Throws: ``CLIError`` (exit 3) naming the variables to set, never a value: when there is no key, or when a
    ///   key holds a space, a line break or another control character (a list separated by something other than
    ///   commas, such as `$(cat keys.txt)` with one key per line: sent as one key, or dropped from the header).
    func keys(for provider: CLIProvider, limits: [RateLimit]) throws(CLIError) -> [APIKey] {
        let source = KeySource.variables(self.variables, prefix: provider.keyPrefix)
        do {
            return try source.keys(limits: limits)
        } catch let error as KeySourceError {
            if error.code == .noKeys {
                throw CLIError.noUsableKey(
                    "no \(provider.displayName) API key: set \(provider.keyVariables) "
                        + "(for example \(provider.keyPrefix)_API_KEYS=key1,key2)"
                )
            }
            if error.code == .malformedKey {
                throw CLIError.noUsableKey(
                    "a \(provider.displayName) key (from \(provider.keyVariables)) holds a space, a line break or "
                        + "another control character, which no key has: separate keys with commas "
                        + "(for example \(provider.keyPrefix)_API_KEYS=key1,key2)"
                )
            }
            throw CLIError.noUsableKey(error.message)
        } catch {
            throw CLIError.noUsableKey("cannot read the \(provider.displayName) keys: \(error)")
        }
    }

    private static func joined(_ directory: String, _ path: String) -> String {
        directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}
