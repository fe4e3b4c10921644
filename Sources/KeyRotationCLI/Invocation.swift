import Foundation
import KeyRotation

/// Opens the key-state store at a path; `nil` keeps key state in memory (the process's own view only).
typealias StateStoreFactory = @Sendable (_ path: String) throws -> (any KeyStateStore)?

/// Everything a command's ``CLICommand/run(_:)`` gets: its parsed arguments, the global options, the
/// environment and where to write.
struct Invocation: Sendable {
    /// The group's name (`keys`).
    let group: String
    /// The command's name (`status`).
    let command: String
    /// The parsed options and arguments (the command's own and the global ones).
    let arguments: CommandLineArguments
    /// The global options, already validated.
    let global: GlobalOptions
    /// The environment variables and what they configure.
    let environment: CLIEnvironment
    /// Results.
    let stdout: any OutputSink
    /// Messages, warnings and progress.
    let stderr: any OutputSink
    /// Opens the key-state store (see ``stateStore()``).
    let makeStateStore: StateStoreFactory
    /// Holds SIGINT and SIGTERM off while a unit of output is half done.
    var termination: TerminationGuard = .shared

    /// `keys status`: how the user runs this command, for messages.
    var commandPath: String { self.group == self.command ? self.group : "\(self.group) \(self.command)" }

    // MARK: Messages

    /// Writes `keyrotation: <message>` to stderr.
    func printError(_ message: String) { self.stderr.message("keyrotation: \(message)") }

    /// Reports a usage error (message and the help hint on stderr) and returns ``ExitCode/usage``.
    func usageError(_ message: String) -> ExitCode {
        self.printError(message)
        self.stderr.message("Run 'keyrotation \(self.commandPath) --help' for usage.")
        return .usage
    }

    /// Runs `body`; a thrown error is reported on stderr and mapped to its exit code: ``CLIError`` to its own,
    /// ``UsageError`` to 2, a missing key (`KeySourceError`) or a pool without usable keys
    /// (`KeyRotatorError.noKeys`, `.allKeysInvalid`) to 3, results that could not be written
    /// (``OutputWriteError``) to 4, anything else to 1.
    func perform(_ body: () async throws -> ExitCode) async -> ExitCode {
        do {
            return try await body()
        } catch let error as OutputWriteError {
            self.printError(error.message)
            return .outputFailed
        } catch let error as CLIError {
            self.printError(error.message)
            return error.exitCode
        } catch let error as UsageError {
            return self.usageError(error.message)
        } catch let error as KeySourceError {
            self.printError(error.message)
            return .noUsableKey
        } catch let error as KeyRotatorError {
            self.printError(error.message)
            return error.code == .noKeys || error.code == .allKeysInvalid ? .noUsableKey : .someFailed
        } catch {
            self.printError("\(error)")
            return .someFailed
        }
    }

    // MARK: Output

    /// Opens the `--output` file now (`nil` when results go to stdout), so a command that spends quota finds out
    /// that the path can't be written (a missing folder, a folder) before it sends anything.
    ///
    /// - Throws: ``CLIError`` (exit 1) naming the path.
    func openOutput() throws(CLIError) -> OutputFile? {
        guard let path = self.arguments.value("output"), path != "-" else { return nil }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError.failed("cannot write \(path): is a directory")
        }
        return try OutputFile(path: path, termination: self.termination)
    }

    /// Runs `body` with the sink results go to: the `--output` file (written atomically: committed when `body`
    /// returns, discarded when it throws; `opened` when ``openOutput()`` opened it already) or stdout.
    ///
    /// - Throws: What `body` throws; ``OutputWriteError`` when the file can't be committed.
    func withOutput(
        _ opened: OutputFile? = nil,
        _ body: (any OutputSink) async throws -> ExitCode
    ) async throws -> ExitCode {
        guard let path = self.arguments.value("output"), path != "-" else { return try await body(self.stdout) }
        let file = try opened ?? OutputFile(path: path, termination: self.termination)
        do {
            let code = try await body(file)
            try file.commit()
            return code
        } catch {
            file.discard()
            throw error
        }
    }

    /// A progress line on stderr: drawn in place on a terminal, one line per update with `--progress`, else off.
    func progress(label: String, total: Int?) -> ProgressLine {
        let mode = ProgressLine.Mode.resolve(
            forced: self.arguments.flag("progress"),
            isTerminal: self.stderr.isTerminal
        )
        return ProgressLine(sink: self.stderr, mode: mode, label: label, total: total)
    }

    // MARK: Keys and pools

    /// The per-key limits: `--key-rate`, else the provider's defaults.
    func limits(for provider: CLIProvider) -> [RateLimit] { self.global.keyRates ?? provider.defaultLimits }

    /// The strategy: `--strategy`, else the provider's default.
    func strategy(for provider: CLIProvider) -> SelectionStrategy { self.global.strategy ?? provider.defaultStrategy }

    /// The key-state store's path (`--store`, `KEYROTATION_STORE`, XDG default).
    var storePath: String { self.environment.storePath(override: self.global.storePath) }

    /// The key-state store at ``storePath``, or `nil` when state is kept in memory.
    ///
    /// - Throws: ``CLIError`` (exit 2: the run can't start) when the store can't be opened; the message names the
    ///   path and what to do.
    func stateStore() throws(CLIError) -> (any KeyStateStore)? {
        do {
            return try self.makeStateStore(self.storePath)
        } catch {
            throw self.storeError(error)
        }
    }

    /// The error for a key-state store at ``storePath`` that can't be opened: exit 2, nothing was done.
    func storeError(_ error: any Error) -> CLIError {
        // The store's own messages name the path and say what to do.
        let reason = (error as? KeyStateStoreError)?.message ?? "cannot open \(self.storePath): \(error)"
        return CLIError(.usage, "key-state store (--store, else KEYROTATION_STORE): \(reason)")
    }

    /// The provider's keys from the environment, with ``limits(for:)``.
    ///
    /// - Throws: ``CLIError`` (exit 3) naming the variables to set.
    func keys(for provider: CLIProvider) throws(CLIError) -> [APIKey] {
        try self.environment.keys(for: provider, limits: self.limits(for: provider))
    }

    /// Prints a command's result on stdout: `value` as JSON with `--json`, else the lines `text` gives.
    ///
    /// - Throws: ``OutputWriteError`` when stdout can't be written.
    func print(_ value: some Encodable, lines text: () -> [String]) throws {
        if self.global.json {
            try JSONOutput.write(value, to: self.stdout)
        } else {
            for line in text() { try self.stdout.line(line) }
        }
    }

    /// The limit units each request to `provider` spends: `<PREFIX>_REQUEST_COST` (Nodit's compute units per
    /// call, say), else 1.
    ///
    /// - Throws: ``UsageError`` (exit 2) when the variable is not a whole number from 1 to 1,000,000 (surrounding
    ///   spaces aside, as in key variables).
    func requestCost(for provider: CLIProvider) throws(UsageError) -> Int {
        let variable = provider.requestCostVariable
        guard let text = self.environment[variable] else { return 1 }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let units = Int(trimmed), (1...1_000_000).contains(units) else {
            throw UsageError("\(variable) must be a whole number of units from 1 to 1000000, got '\(text)'")
        }
        return units
    }

    /// A pool of the provider's keys with the chosen strategy, sharing state through ``stateStore()``.
    ///
    /// - Throws: ``CLIError``: exit 3 without keys, exit 2 when the store can't be opened.
    func makeRotator(for provider: CLIProvider) throws(CLIError) -> KeyRotator<ContinuousClock> {
        let keys = try self.keys(for: provider)
        return self.makeRotator(keys: keys, provider: provider, store: try self.stateStore())
    }

    /// A pool of `keys` with the chosen strategy and `store` (`nil`: in memory).
    ///
    /// `probesNewKeys: false` lets a new key serve concurrent requests before its first answer (the gateway: its
    /// callers are told 429 with the pool's ETA, which for a key with an unanswered probe is the probe's timeout).
    func makeRotator(
        keys: [APIKey],
        provider: CLIProvider,
        store: (any KeyStateStore)?,
        probesNewKeys: Bool = true
    ) -> KeyRotator<ContinuousClock> {
        var health = HealthPolicy()
        health.maximumBackoff = provider.maximumBackoff
        if !probesNewKeys { health.probesNewKeys = false }
        let configuration = KeyRotator<ContinuousClock>.Configuration(
            strategy: self.strategy(for: provider),
            health: health,
            stateStore: store
        )
        let rotator = KeyRotator(keys: keys, configuration: configuration)
        if store != nil {
            // Killed with requests in flight: the store counts them from now, not from their lease, so the next run
            // does not send a rolling window's next use before the provider's window allows it.
            _ = self.termination.addCleanup { [weak rotator] in rotator?.settleOutstanding() }
        }
        return rotator
    }
}
