import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationServer
import Nodit
import VirusTotal

extension CommandGroup {
    /// `keyrotation serve`: the local gateway.
    static let serve = CommandGroup(
        name: "serve",
        summary: "Run a local HTTP gateway that shares one key pool with programs in any language",
        commands: [ServeCommand()]
    )
}

/// `keyrotation serve --provider vt|aptos|nodit --listen 127.0.0.1:8089|/path.sock`.
struct ServeCommand: CLICommand {
    let name = "serve"
    let summary = "Forward GET/POST under a path prefix to the provider through the key pool"

    var options: [OptionSpec] {
        [
            .choice(
                "provider",
                CLIProvider.names + ["custom"],
                help: "Which provider's pool to serve (custom: described by --config)",
                required: true
            ),
            .text("config", placeholder: "FILE", help: "The custom provider's file (key = value; see the README)"),
            .text(
                "listen",
                placeholder: "ADDR",
                help: "IPv4:port (default 127.0.0.1:8089) or a Unix socket path; off loopback only with a token"
            ),
            .text("prefix", placeholder: "PATH", help: "Forwarded path prefix (default /<provider>)"),
            .integer(
                "max-wait",
                placeholder: "S",
                help: "Longest 'Prefer: wait=N' honoured (default 300)",
                range: 0...3600
            ),
        ]
    }

    var discussion: String? {
        """
        Callers send requests to http://ADDR/<prefix>/<provider path> and never see a key. With \
        KEYROTATION_GATEWAY_TOKEN set, every request but /healthz needs 'Authorization: Bearer <token>'; without it \
        the gateway listens only on loopback or a Unix socket. When every key is limited the answer is 429 with \
        Retry-After (the pool's ETA), unless the caller sent 'Prefer: wait=N'. GET /metrics: Prometheus text; \
        GET /healthz: ok. SIGTERM stops accepting, finishes the requests in flight and settles their leases.
        """
    }

    var examples: [String] {
        [
            "VT_API_KEYS=k1,k2 keyrotation serve --provider vt --listen 127.0.0.1:8089",
            "curl http://127.0.0.1:8089/vt/domains/example.com",
        ]
    }

    func run(_ invocation: Invocation) async -> ExitCode {
        await invocation.perform {
            let custom = try Self.customProvider(invocation)
            guard
                let provider = custom.map(CLIProvider.custom)
                    ?? CLIProvider(name: invocation.arguments.value("provider") ?? "")
            else {
                throw UsageError(
                    "option --provider must be one of \(CLIProvider.names.joined(separator: ", ")), custom"
                )
            }
            let address: ListenAddress
            do throws(ListenAddressError) {
                address = try ListenAddress(parsing: invocation.arguments.value("listen") ?? "127.0.0.1:8089")
            } catch {
                throw UsageError("option --listen: \(error.message)")
            }
            let token = invocation.environment["KEYROTATION_GATEWAY_TOKEN"]
            guard token != nil || address.isLocalOnly else {
                throw UsageError(
                    "refusing to listen on \(address) without a token: set KEYROTATION_GATEWAY_TOKEN, or listen on "
                        + "127.0.0.1 or a Unix socket"
                )
            }
            var prefix = invocation.arguments.value("prefix") ?? "/\(provider.name)"
            if !prefix.hasPrefix("/") { prefix = "/" + prefix }
            while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
            let keys = try invocation.keys(for: provider)
            let rotator = invocation.makeRotator(
                keys: keys,
                provider: provider,
                store: try invocation.stateStore(),
                probesNewKeys: false
            )
            let profile = try (custom?.profile ?? Self.profile(provider, invocation)).costing(
                try invocation.requestCost(for: provider)
            )
            let client = RotatingClient(profile: profile, rotator: rotator)
            var configuration = Gateway.Configuration(
                provider: provider.name,
                prefix: prefix,
                token: token,
                secrets: keys.map(\.secret)
            )
            if let wait = invocation.arguments.integer("max-wait") { configuration.maximumWait = .seconds(wait) }
            if provider == .virusTotal {
                configuration.cacheTTL = .seconds(45 * 60)
                configuration.isCacheable = { path in
                    ["/files/", "/urls/", "/domains/", "/ip_addresses/"].contains { path.hasPrefix($0) }
                }
            }
            if let custom, !custom.cacheablePrefixes.isEmpty {
                configuration.cacheTTL = custom.cacheTTL
                configuration.isCacheable = { path in custom.cacheablePrefixes.contains { path.hasPrefix($0) } }
            }
            let gateway = Gateway(
                configuration: configuration,
                client: client,
                metrics: GatewayMetrics(provider: provider.name)
            )
            let server: HTTPServer
            do {
                // Handlers run as detached tasks: carry `-v`'s request log into them.
                let observer = RequestLog.observer
                server = try HTTPServer(address: address) { request in
                    await RequestLog.$observer.withValue(observer) { await gateway.handle(request) }
                }
            } catch let error as ServerError {
                throw CLIError(.usage, error.message)
            }
            // SIGTERM/SIGINT: stop accepting, finish what is in flight (their leases report), then settle the rest.
            _ = invocation.termination.addCleanup {
                server.shutdown(timeout: .seconds(30))
                rotator.settleOutstanding()
            }
            let shown = address.socketPath ?? "\(address)".replacingOccurrences(of: ":0", with: ":\(server.port)")
            invocation.stderr.message(
                "keyrotation: serving \(provider.displayName) (\(keys.count) key(s)) on \(shown) under \(prefix)/"
            )
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
            server.shutdown()
            return .success
        }
    }

    /// `--provider custom --config FILE`, read; `nil` for the built-in providers.
    private static func customProvider(_ invocation: Invocation) throws -> CustomProvider? {
        let isCustom = invocation.arguments.value("provider") == "custom"
        guard let path = invocation.arguments.value("config") else {
            if isCustom { throw UsageError("--provider custom needs --config FILE (base_url, auth, limits, …)") }
            return nil
        }
        guard isCustom else { throw UsageError("--config is for --provider custom only") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError("cannot read \(path): check that the file exists and is readable")
        }
        return try CustomProvider(parsing: String(decoding: data, as: UTF8.self))
    }

    /// The provider's profile with its base URL from the environment.
    private static func profile(_ provider: CLIProvider, _ invocation: Invocation) throws -> ProviderProfile {
        switch provider {
        case .virusTotal:
            let url: URL
            do {
                url = try VirusTotalClient<ContinuousClock>.Configuration.baseURL(
                    environment: invocation.environment.variables
                )
            } catch {
                throw UsageError(error.message)
            }
            return VirusTotalClient<ContinuousClock>.profile(baseURL: url)
        case .aptos:
            let url = try AptosArguments.baseURL(invocation, variable: provider.baseURLVariable)
            return AptosEndpoint<ContinuousClock>.aptosProfile(
                name: "Aptos",
                baseURL: url ?? AptosNetwork.mainnet.aptosLabsBaseURL,
                authentication: .bearer
            )
        default:
            let url = try AptosArguments.baseURL(invocation, variable: provider.baseURLVariable)
            guard let url = url ?? AptosNetwork.mainnet.noditBaseURL else {
                throw UsageError("set NODIT_BASE_URL")
            }
            return AptosEndpoint<ContinuousClock>.noditProfile(baseURL: url)
        }
    }
}
