import KeyRotation
import Testing

@testable import KeyRotationCLI

@Suite struct CLIEnvironmentTests {
    @Test func storePathPrefersTheFlagThenTheVariableThenXDGThenHome() {
        let full = CLIEnvironment(variables: [
            "KEYROTATION_STORE": "/var/kr.sqlite", "XDG_DATA_HOME": "/xdg", "HOME": "/home/u",
        ])
        #expect(full.storePath(override: "/flag.sqlite") == "/flag.sqlite")
        #expect(full.storePath() == "/var/kr.sqlite")
        #expect(
            CLIEnvironment(variables: ["XDG_DATA_HOME": "/xdg/", "HOME": "/home/u"]).storePath()
                == "/xdg/keyrotation/state.sqlite"
        )
        #expect(
            CLIEnvironment(variables: ["XDG_DATA_HOME": "relative", "HOME": "/home/u"]).storePath()
                == "/home/u/.local/share/keyrotation/state.sqlite"
        )
        #expect(
            CLIEnvironment(variables: ["KEYROTATION_STORE": "", "HOME": "/home/u"]).storePath()
                == "/home/u/.local/share/keyrotation/state.sqlite"
        )
    }

    @Test func keysCarryTheLimitsAndIdsButErrorsNeverAValue() throws {
        let environment = CLIEnvironment(variables: ["APTOS_API_KEY": "aptosSecretValue"])
        let keys = try environment.keys(for: .aptos, limits: [.perMinute(10)])
        #expect(keys.map(\.id) == ["aptos-1"])
        #expect(keys.first?.limits == [.perMinute(10)])
        let error = #expect(throws: CLIError.self) { try environment.keys(for: .nodit, limits: []) }
        #expect(error?.exitCode == .noUsableKey)
        #expect(error?.message.contains("NODIT_API_KEYS") == true)
        #expect(error?.message.contains("aptosSecretValue") == false)
    }

    /// A key with a line break or another control character inside (a list from `$(cat keys.txt)`, one key per
    /// line) can't go in a header: HTTP drops it and the provider answers "no key sent". It is refused up front,
    /// naming the variables and the separator, never a value.
    @Test(arguments: [
        "firstSecret0123\nsecondSecret0123", "firstSecret0123\r\nsecondSecret0123", "first\u{1}Secret",
        "firstSecret0123 secondSecret0123",
    ])
    func aKeyWithAControlCharacterIsRefusedNamingTheSeparator(_ value: String) throws {
        let environment = CLIEnvironment(variables: ["VT_API_KEYS": value])
        let error = #expect(throws: CLIError.self) { try environment.keys(for: .virusTotal, limits: []) }
        #expect(error?.exitCode == .noUsableKey)
        #expect(error?.message.contains("VT_API_KEYS") == true)
        #expect(error?.message.contains("comma") == true)
        #expect(error?.message.contains("Secret") == false)
    }

    @Test func globalOptionsParseRatesAndStrategies() throws {
        let parsed = try CommandLineArguments.parse(
            ["--key-rate", "4/min,500/day", "--key-rate", "spacing=100ms", "--strategy", "health-aware", "--json"],
            options: GlobalOptions.specs
        )
        let global = try GlobalOptions(parsed)
        #expect(global.keyRates == [.perMinute(4), .perDay(500), .minimumSpacing(.milliseconds(100))])
        #expect(global.strategy == .healthAware)
        #expect(global.json)
        #expect(try GlobalOptions(CommandLineArguments.parse([], options: GlobalOptions.specs)).keyRates == nil)
    }

    @Test func providersHaveTheirDefaultLimits() {
        #expect(CLIProvider.virusTotal.defaultLimits == [.perMinute(4), .perDay(500)])
        #expect(CLIProvider.aptos.defaultLimits.isEmpty)
        #expect(CLIProvider.nodit.defaultLimits.isEmpty)
        #expect(CLIProvider(name: "nodit") == .nodit)
        #expect(CLIProvider(name: "NODIT") == nil)
    }
}
