import Foundation
import KeyRotation
import KeyRotationHTTP

/// The simulated provider's decisions: a value type, free of locks, clocks and `await`, driven with the UTC
/// instant a request arrived at.
struct SimulatedProviderStateMachine: Sendable {
    struct KeyState: Sendable {
        var behaviour: SimulatedKeyBehaviour
        var id: KeyID
        var requestCount = 0
        var quotas: [SimulatedQuota]
        var random: SplitMix64

        init(secret: String?, behaviour: SimulatedKeyBehaviour, seed: UInt64) {
            self.behaviour = behaviour
            if let label = behaviour.label {
                self.id = KeyID(label)
            } else if let secret {
                self.id = APIKey(secret).id
            } else {
                self.id = KeyID("anonymous")
            }
            self.quotas = behaviour.limits.map(SimulatedQuota.init)
            self.random = SplitMix64(seed: seed, label: self.id.rawValue)
        }
    }

    /// What the provider does with one request, once the lock is released.
    struct Plan: Sendable {
        var outcome: Result<HTTPResponse, TransportError>
        var delay: Duration
    }

    private let seed: UInt64
    private(set) var configuration: SimulatedProviderConfiguration
    private let responder: SimulatedResponder
    private var keys: [String: KeyState] = [:]
    private var anonymous: KeyState
    private(set) var log: [SimulatedLogEntry] = []
    private var nextSequenceNumber = 0
    private var ledgerBaseVersion: UInt64
    private var ledgerBaseTime: Timestamp
    private let ledgerAnchorMicroseconds: Int64

    init(configuration: SimulatedProviderConfiguration, seed: UInt64, now: Timestamp) {
        self.seed = seed
        self.configuration = configuration
        self.responder = SimulatedResponder(
            flavour: configuration.flavour,
            unknownResources: configuration.unknownResources
        )
        self.anonymous = KeyState(secret: nil, behaviour: configuration.anonymous, seed: seed)
        for (secret, behaviour) in configuration.keys {
            self.keys[secret] = KeyState(secret: secret, behaviour: behaviour, seed: seed)
        }
        self.ledgerBaseVersion = configuration.ledger.headVersion
        self.ledgerBaseTime = now
        self.ledgerAnchorMicroseconds = now.nanosecondsSinceEpoch / 1000
    }

    // MARK: Run-time changes

    mutating func setBehaviour(_ behaviour: SimulatedKeyBehaviour, forSecret secret: String) {
        self.configuration.keys[secret] = behaviour
        guard var state = self.keys[secret] else {
            self.keys[secret] = KeyState(secret: secret, behaviour: behaviour, seed: self.seed)
            return
        }
        if state.behaviour.limits != behaviour.limits { state.quotas = behaviour.limits.map(SimulatedQuota.init) }
        if state.behaviour.label != behaviour.label {
            state.id = KeyState(secret: secret, behaviour: behaviour, seed: self.seed).id
        }
        state.behaviour = behaviour
        self.keys[secret] = state
    }

    mutating func removeKey(secret: String) {
        self.configuration.keys[secret] = nil
        self.keys[secret] = nil
    }

    mutating func setLedgerHead(_ version: UInt64, at now: Timestamp) {
        self.ledgerBaseVersion = max(version, self.configuration.ledger.oldestVersion)
        self.ledgerBaseTime = now
    }

    mutating func setOldestVersion(_ version: UInt64) {
        self.configuration.ledger.oldestVersion = version
    }

    mutating func clearLog() {
        self.log.removeAll()
    }

    mutating func reset(at now: Timestamp) {
        self = SimulatedProviderStateMachine(configuration: self.configuration, seed: self.seed, now: now)
    }

    // MARK: Queries

    var keyIDs: [KeyID] { self.keys.values.map(\.id).sorted() }

    func ledger(at now: Timestamp) -> SimulatedLedgerSnapshot {
        let ledger = self.configuration.ledger
        var head = self.ledgerBaseVersion
        if ledger.versionsPerSecond > 0 {
            let elapsed = max(0, self.ledgerBaseTime.duration(to: now).seconds)
            head &+= UInt64(elapsed * ledger.versionsPerSecond)
        }
        let microsecondsPerVersion = ledger.versionsPerSecond > 0 ? Int64(max(1, 1e6 / ledger.versionsPerSecond)) : 1000
        return SimulatedLedgerSnapshot(
            chainID: ledger.chainID,
            headVersion: head,
            oldestVersion: min(ledger.oldestVersion, head),
            versionsPerBlock: ledger.versionsPerBlock,
            epoch: ledger.epoch,
            anchorVersion: self.ledgerBaseVersion,
            anchorMicroseconds: self.ledgerAnchorMicroseconds,
            microsecondsPerVersion: microsecondsPerVersion
        )
    }

    // MARK: One request

    private enum Credential {
        case none
        case key(String)
        case conflicting
    }

    mutating func handle(_ request: HTTPRequest, at now: Timestamp) -> Plan {
        let flavour = self.configuration.flavour
        var path = request.url.path
        if path.isEmpty { path = "/" }
        var credential = Credential.none

        switch flavour.wrapped {
        case .virusTotal:
            if let value = request.headers["x-apikey"], !value.isEmpty { credential = .key(value) }
        case .aptos:
            if let value = request.headers["Authorization"], !value.isEmpty {
                let parts = value.split(separator: " ", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == "bearer" {
                    credential = .key(String(parts[1]).trimmingCharacters(in: .whitespaces))
                } else {
                    credential = .key(value)  // not a bearer token: an unknown key
                }
            }
        case .nodit:
            let header = request.headers["X-API-KEY"].flatMap { $0.isEmpty ? nil : $0 }
            let segments = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
            var pathKey: String?
            if segments.count == 2, segments[0] != "v1", segments[1] == "v1" || segments[1].hasPrefix("v1/") {
                pathKey = String(segments[0])
                path = "/" + segments[1]
            }
            switch (header, pathKey) {
            case (nil, nil): credential = .none
            case (let header?, nil): credential = .key(header)
            case (nil, let pathKey?): credential = .key(pathKey)
            case (.some, .some): credential = .conflicting
            }
        }

        let ledger = self.ledger(at: now)
        let isNodePath = self.responder.isNodePath(path)
        func finish(_ response: HTTPResponse) -> HTTPResponse {
            var response = response
            if isNodePath { self.responder.addLedgerHeaders(to: &response, ledger: ledger) }
            return response
        }

        // Who is asking?
        let secret: String?
        switch credential {
        case .conflicting:
            self.append(now: now, key: nil, number: 0, request: request, path: path, status: 401, consumed: false)
            return Plan(outcome: .success(finish(self.responder.invalidKey())), delay: .zero)
        case .none where flavour.requiresKey:
            self.append(now: now, key: nil, number: 0, request: request, path: path, status: 401, consumed: false)
            return Plan(outcome: .success(finish(self.responder.missingKey())), delay: .zero)
        case .none:
            secret = nil
        case .key(let value):
            guard self.keys[value] != nil else {
                self.append(now: now, key: nil, number: 0, request: request, path: path, status: 401, consumed: false)
                return Plan(outcome: .success(finish(self.responder.invalidKey())), delay: .zero)
            }
            secret = value
        }

        var key = secret.flatMap { self.keys[$0] } ?? self.anonymous
        key.requestCount += 1
        let number = key.requestCount
        let behaviour = key.behaviour

        var delay = behaviour.latency.sample(using: &key.random)
        if behaviour.hangs.strikes(request: number, random: &key.random) { delay += behaviour.hangDuration }

        var consumed = false
        let outcome: Result<HTTPResponse, TransportError>
        if behaviour.isInvalid || behaviour.invalidAfter.map({ number > $0 }) ?? false {
            outcome = .success(self.responder.invalidKey())
        } else if behaviour.connectionResets.strikes(request: number, random: &key.random) {
            outcome = .failure(TransportError(.connectionReset, "SimulatedProvider: injected connection reset"))
        } else if behaviour.failures.strikes(request: number, random: &key.random) {
            outcome = .success(self.responder.failure(status: behaviour.failureStatus))
        } else if let refusal = Self.refusal(quotas: &key.quotas, at: now) {
            outcome = .success(
                self.responder.rateLimited(
                    isQuota: refusal.isQuota,
                    retryAfterSeconds: self.retryAfterSeconds(behaviour.retryAfter, wait: refusal.wait)
                )
            )
        } else {
            for index in key.quotas.indices { key.quotas[index].consume(at: now) }
            consumed = true
            if behaviour.redirects.strikes(request: number, random: &key.random) {
                outcome = .success(self.responder.redirect(to: behaviour.redirectLocation))
            } else if behaviour.malformedBodies.strikes(request: number, random: &key.random) {
                outcome = .success(self.responder.malformed())
            } else if behaviour.oversizedBodies.strikes(request: number, random: &key.random) {
                outcome = .success(self.responder.oversized(bytes: behaviour.oversizedBodyBytes))
            } else {
                outcome = .success(self.responder.serve(request, path: path, ledger: ledger))
            }
        }

        if let secret { self.keys[secret] = key } else { self.anonymous = key }
        let finished = outcome.map(finish)
        let status = (try? finished.get().status) ?? 0
        self.append(
            now: now,
            key: key.id,
            number: number,
            request: request,
            path: path,
            status: status,
            consumed: consumed
        )
        self.log[self.log.count - 1].delay = delay
        return Plan(outcome: finished, delay: delay)
    }

    /// The longest wait among the limits that refuse a request at `now`, or `nil` when all admit it.
    private static func refusal(quotas: inout [SimulatedQuota], at now: Timestamp) -> (wait: Duration, isQuota: Bool)? {
        var result: (wait: Duration, isQuota: Bool)?
        for index in quotas.indices {
            guard let wait = quotas[index].wait(at: now) else { continue }
            let isQuota = quotas[index].limit.isQuota
            if let current = result {
                result = (max(current.wait, wait), current.isQuota || isQuota)
            } else {
                result = (wait, isQuota)
            }
        }
        return result
    }

    private func retryAfterSeconds(_ policy: SimulatedRetryAfter, wait: Duration) -> Int64? {
        func roundedUp(_ duration: Duration) -> Int64 {
            let nanoseconds = max(0, duration.nanoseconds)
            return (nanoseconds + 999_999_999) / 1_000_000_000
        }
        switch policy.wrapped {
        case .none: return nil
        case .exact: return roundedUp(wait)
        case .fixed(let duration): return roundedUp(duration)
        case .flavourDefault: return self.configuration.flavour.wrapped == .nodit ? roundedUp(wait) : nil
        }
    }

    private mutating func append(
        now: Timestamp,
        key: KeyID?,
        number: Int,
        request: HTTPRequest,
        path: String,
        status: Int,
        consumed: Bool
    ) {
        self.nextSequenceNumber += 1
        self.log.append(
            SimulatedLogEntry(
                sequenceNumber: self.nextSequenceNumber - 1,
                timestamp: now,
                keyID: key,
                keyRequestNumber: number,
                method: request.method,
                path: path,
                status: status,
                consumedQuota: consumed,
                delay: .zero
            )
        )
    }
}
