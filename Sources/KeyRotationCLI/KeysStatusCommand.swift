import KeyRotation
import KeyRotationStore

/// `keyrotation keys status --provider vt|aptos|nodit [--json]`: each key's id, state and quota left.
///
/// The pool is built from the environment's keys with the provider's default limits (or `--key-rate`), and the
/// key-state store when one is configured, so persisted cooldowns and usage show up.
struct KeysStatusCommand: CLICommand {
    let name = "status"
    let summary = "Show each key's id, state and quota left (never the key itself)"

    var options: [OptionSpec] {
        [
            .choice("provider", CLIProvider.names, help: "Which pool: vt, aptos or nodit", required: true),
            .output,
        ]
    }

    var discussion: String? {
        """
        Keys come from the provider's variables (VT_API_KEYS, APTOS_API_KEYS, NODIT_API_KEYS, …) and are shown by \
        id (vt-1, vt-2, …) in the order found. Default limits: vt 4/min and 500/day per key; aptos and nodit none \
        unless --key-rate gives them. USES is what the store counts in the key's busiest limit window (today's \
        uses for 500/day), across runs and processes.
        """
    }

    var examples: [String] {
        [
            "keyrotation keys status --provider vt",
            "keyrotation keys status --provider nodit --key-rate 10/s,100000/day --json",
            "keyrotation keys status --provider vt --json -o status.json",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            guard let provider = invocation.arguments.value("provider").flatMap(CLIProvider.init(name:)) else {
                throw UsageError("missing option --provider \(CLIProvider.names.joined(separator: "|"))")
            }
            let environment = invocation.environment.variables
            if provider == .aptos, KeySource.variables(environment, prefix: provider.keyPrefix).secrets().isEmpty {
                // Aptos Labs serves requests without a key (under per-IP limits): no keys is a state, not an error.
                let note =
                    "no Aptos keys set (\(provider.keyVariables)): requests go without a key, under "
                    + "Aptos Labs' per-IP limits"
                return try await invocation.withOutput { sink in
                    if invocation.global.json {
                        try JSONOutput.write(KeylessStatus(provider: provider.name, keys: [], note: note), to: sink)
                    } else {
                        try sink.line(note)
                    }
                    return .success
                }
            }
            let keys = try invocation.keys(for: provider)
            let store = try invocation.stateStore()
            let rotator = invocation.makeRotator(keys: keys, provider: provider, store: store)
            var report = KeyStatusReport(
                provider: provider,
                strategy: rotator.strategy,
                statistics: rotator.statistics()
            )
            if let store = store as? SQLiteKeyStateStore {
                report.countUses(in: store, keys: rotator.keys, at: rotator.now())
            }
            return try await invocation.withOutput { sink in
                if invocation.global.json {
                    try JSONOutput.write(report, to: sink)
                } else {
                    try sink.write(report.table().render())
                }
                return .success
            }
        }
    }
}

/// `keys status --provider aptos --json` without keys.
private struct KeylessStatus: Encodable {
    var provider: String
    var keys: [String]
    var note: String
}
