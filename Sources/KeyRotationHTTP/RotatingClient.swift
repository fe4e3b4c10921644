import Foundation
public import KeyRotation

/// Sends requests through a key pool: lease a key, apply it, send, classify, report, and retry on another key
/// when the key was the problem (429, quota, invalid key) or the upstream had a transient fault.
///
/// Rules:
/// - Client errors (400, 422…) are never retried; "not found" and "pruned" are results.
/// - A 403 (the key lacks a privilege or plan feature) keeps the key healthy and tries the request once on each
///   other key; when every key answers 403, that answer is the result.
/// - Only idempotent requests (or ones marked ``HTTPRequest/isSafeToRetry``) are retried after a failure that may
///   have reached the server; a 429 or 401 means the server did nothing, so any request is retried after one.
/// - Transient failures back off exponentially with full jitter, then retry on another key when one is free (on the
///   same key when none is); key problems move to the next key at once (the rotator already keeps the throttled key
///   out until its cooldown ends).
/// - Every retry respects the caller's deadline; nothing retries past it.
/// - Without keys (`rotator: nil`, a node's per-IP limits), requests still pass through one pool: a one-"key"
///   rotator that is never applied to a request, so concurrent requests share one cooldown after a 429 (growing
///   from 1 s to ``Configuration/maximumRateLimitBackoff``), learn the provider's pace, and probe one at a time
///   after a refusal, instead of each backing off alone.
public final class RotatingClient<C: Clock>: Sendable where C.Duration == Duration {
    /// Retry behaviour.
    public struct Configuration: Hashable, Sendable {
        /// Attempts per request that may end in a transient failure (5xx, timeout, reset), the first included,
        /// before the request gives up *if no other key can take it*. Default 4.
        ///
        /// Retries follow health: an attempt after a failure goes to a key that has not failed this request, is not
        /// quarantined and has its circuit closed (one that is free now first, else the request waits for one
        /// within its deadline). While such a key exists the request goes on past this count, up to the pool's
        /// key count + 2 failures in all, so a request is never given up while a healthy key could answer it.
        public var maximumAttempts: Int = 4
        /// Attempts per request that a key may refuse (429, quota spent, invalid key) before the request fails.
        /// These cost the upstream nothing and the rotator paces them, so the budget is larger. Default 32.
        public var maximumKeyRefusals: Int = 32
        /// The first backoff after a transient failure. Default 200 ms.
        public var initialBackoff: Duration = .milliseconds(200)
        /// The longest backoff after a transient failure. Default 10 s.
        public var maximumBackoff: Duration = .seconds(10)
        /// The longest backoff after a 429 that names no time on a keyless request (with keys, the rotator cools the
        /// key instead): providers count such limits in windows of minutes (Aptos: 300 s). Default 300 s.
        public var maximumRateLimitBackoff: Duration = .seconds(300)
        /// How long a request may wait and retry when the caller gives no deadline; `nil` waits as long as the
        /// pool needs. Default 2 minutes.
        public var defaultTimeout: Duration? = .seconds(120)

        /// The defaults.
        public init() {}
    }

    /// A response with what the client learned on the way.
    public struct Result: Sendable {
        /// The response.
        public var response: HTTPResponse
        /// What it means.
        public var classification: Classification
        /// The key that got it (`nil` for keyless requests).
        public var keyID: KeyID?
        /// Attempts made.
        public var attempts: Int
        /// The time of the last attempt.
        public var latency: Duration
    }

    /// The provider.
    public let profile: ProviderProfile
    /// The key pool (`nil`: keyless, for a user's own node).
    public let rotator: KeyRotator<C>?
    /// Retry behaviour.
    public let configuration: Configuration
    private let transport: any HTTPTransport
    private let clock: C
    private let jitter: Locked<UInt64>
    /// Without keys: paces the requests (see the type's rules); its lease carries no credential.
    private let keylessPacer: KeyRotator<C>?

    /// Creates a client.
    public init(
        profile: ProviderProfile,
        rotator: KeyRotator<C>?,
        transport: any HTTPTransport,
        clock: C,
        configuration: Configuration = .init(),
        seed: UInt64 = .random(in: .min ... .max)
    ) {
        self.profile = profile
        self.rotator = rotator
        self.transport = transport
        self.clock = clock
        self.configuration = configuration
        self.jitter = Locked(seed | 1)
        if rotator == nil {
            var pacing = KeyRotator<C>.Configuration()
            pacing.health.maximumBackoff = max(configuration.maximumRateLimitBackoff, pacing.health.initialBackoff)
            pacing.health.probesNewKeys = false  // no credential to prove: the pacer only paces
            pacing.seed = seed
            self.keylessPacer = KeyRotator(
                keys: [APIKey("keyless", label: "keyless")],
                configuration: pacing,
                clock: clock
            )
        } else {
            self.keylessPacer = nil
        }
    }

    /// Sends `request` on the best key, retrying as the rules above allow.
    ///
    /// - Parameters:
    ///   - request: The request, without credentials.
    ///   - cost: Quota units it spends; default the profile's ``ProviderProfile/requestCost`` (1 unless the
    ///     provider meters requests in compute units).
    ///   - deadline: The latest instant to wait and retry until; default now + ``Configuration/defaultTimeout``.
    /// - Returns: The response for success, not found, pruned and bad request, or forbidden once every key was
    ///   refused; the caller decides what those mean for it.
    /// - Throws: ``RotatingClientError``.
    @specialized(where C == ContinuousClock)
    public func send(_ request: HTTPRequest, cost: Int? = nil, deadline: C.Instant? = nil) async throws -> Result {
        let cost = max(1, cost ?? self.profile.requestCost(request))
        let deadline = deadline ?? self.configuration.defaultTimeout.map { self.clock.now.advanced(by: $0) }
        var attempts = 0
        var failures = 0
        var refusals = 0
        var last = Last()
        var forbidden: (keys: Set<KeyID>, result: Result?) = ([], nil)
        var failed: Set<KeyID> = []  // keys that failed this request with a 5xx, timeout or reset
        let observer = RequestLog.observer
        while refusals < max(1, self.configuration.maximumKeyRefusals)
            && (failures == 0 || self.retriesAfter(failures: failures, failed: failed, forbidden: forbidden.keys))
        {
            if Task.isCancelled { throw self.error(.cancelled, "the request was cancelled", attempts, last) }
            let lease: Lease?
            let pace: Lease?  // keyless: the pacer's lease, never applied to the request
            do {
                lease = try await self.lease(
                    cost: cost,
                    deadline: deadline,
                    avoiding: forbidden.keys,
                    preferringNot: failed,
                    mustGoElsewhere: failures >= max(1, self.configuration.maximumAttempts)
                )
                pace = lease == nil ? try await self.keylessPacer?.acquire(cost: cost, deadline: deadline) : nil
            } catch let error as KeyRotatorError {
                // The only keys left are those that answered 403 (the others are gone or never fit): that answer
                // stands.
                if error.code == .costExceedsCapacity, let result = forbidden.result { return result }
                throw self.error(for: error, attempts: attempts, last: last)
            }
            /// Tells the key's pool how the attempt went; the keyless pacer hears only what paces requests.
            func report(_ outcome: Outcome) {
                lease?.report(outcome)
                pace?.report(Self.pacing(outcome))
            }
            attempts += 1
            var outgoing = request
            self.profile.authentication.apply(lease, to: &outgoing)
            last.keyID = lease?.keyID
            let start = self.clock.now
            let response: HTTPResponse
            do {
                response = try await self.transport.send(outgoing)
            } catch is CancellationError {
                report(.abandoned)
                throw self.error(.cancelled, "the request was cancelled", attempts, last)
            } catch {
                // Anything a transport throws other than a TransportError counts as a failed connection.
                var failure = (error as? TransportError) ?? TransportError(.connectionFailed, "\(type(of: error))")
                failure.message = Self.redact(failure.message, lease)
                last.transport = failure
                last.status = nil
                if let observer { self.note(observer, request, lease, attempts, nil, failure.code, since: start) }
                if failure.code == .cancelled || Task.isCancelled {
                    report(.abandoned)
                    throw self.error(.cancelled, "the request was cancelled", attempts, last)
                }
                guard failure.code.isTransient else {
                    let sent = failure.code == .responseTooLarge || failure.code == .redirectRefused
                    report(sent ? .success(latency: start.duration(to: self.clock.now)) : .notCounted)
                    throw self.error(.transport, failure.message, attempts, last)
                }
                failures += 1
                if let lease { failed.insert(lease.keyID) }
                report(.transientFailure)
                try await self.afterTransientFailure(
                    request,
                    failures: failures,
                    failed: failed,
                    forbidden: forbidden.keys,
                    attempts: attempts,
                    deadline: deadline,
                    last: last,
                    what: failure.message
                )
                continue
            }
            let latency = start.duration(to: self.clock.now)
            let now = (self.rotator ?? self.keylessPacer)?.now() ?? Timestamp.epoch
            let classification = self.profile.classify(response, now)
            last.status = response.status
            last.providerCode = classification.providerCode
            last.providerMessage = classification.message.map { Self.redact($0, lease) }
            last.transport = nil
            if let observer {
                self.note(observer, request, lease, attempts, (response.status, classification), nil, since: start)
            }
            if let lease, let rotator = self.rotator {
                let headers = RateLimitHeaders(response.headers, now: now)
                if let remaining = headers.remaining {
                    rotator.observe(remaining: remaining, resetAt: headers.resetAt, for: lease.keyID)
                }
            }
            let result = Result(
                response: response,
                classification: classification,
                keyID: lease?.keyID,
                attempts: attempts,
                latency: latency
            )
            switch classification.kind {
            case .success, .notFound, .pruned, .badRequest:
                report(.success(latency: latency))
                return result
            case .forbidden:
                // The key lacks a privilege or plan feature: it stays healthy, and another key may have it.
                report(.success(latency: latency))
                guard let lease, let rotator = self.rotator else { return result }
                forbidden.keys.insert(lease.keyID)
                forbidden.result = result
                if forbidden.keys.count >= rotator.keyCount { return result }
                refusals += 1
            case .rateLimited(let retryAfter):
                refusals += 1
                // With keys, the rotator cools the key; without, the pacer cools every keyless request at once.
                report(.rateLimited(retryAfter: retryAfter))
            case .quotaExhausted(let resetAt):
                refusals += 1
                report(.quotaExhausted(resetAt: resetAt))
                if lease == nil {
                    throw self.error(.allKeysLimited, "the provider's quota is spent", attempts, last, eta: resetAt)
                }
            case .invalidKey:
                refusals += 1
                report(.invalidKey)
                if lease == nil {
                    throw self.error(.noUsableKey, "the provider refused the request's credentials", attempts, last)
                }
            case .transient:
                failures += 1
                if let lease { failed.insert(lease.keyID) }
                report(.transientFailure)
                try await self.afterTransientFailure(
                    request,
                    failures: failures,
                    failed: failed,
                    forbidden: forbidden.keys,
                    attempts: attempts,
                    deadline: deadline,
                    last: last,
                    what: "the upstream failed"
                )
            }
        }
        throw self.error(.attemptsExhausted, "every attempt failed", attempts, last)
    }

    /// What the keyless pacer hears of an attempt's `outcome`: successes, 429s and unsent requests pace keyless
    /// requests; a failure, a spent quota or a refused credential says nothing about the pace (without keys there is
    /// no circuit breaker or quarantine: the request itself backs off or ends).
    private static func pacing(_ outcome: Outcome) -> Outcome {
        switch outcome {
        case .success, .rateLimited, .notCounted, .abandoned: outcome
        case .transientFailure, .quotaExhausted, .invalidKey: .abandoned
        }
    }

    /// `text` with the lease's key replaced: a provider that echoes the request (a path with the key in it, a
    /// header) must not put the key into an error.
    static func redact(_ text: String, _ lease: Lease?) -> String {
        guard let secret = lease?.secret, !secret.isEmpty, text.contains(secret) else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
    }

    private struct Last {
        var keyID: KeyID?
        var status: Int?
        var providerCode: String?
        var providerMessage: String?
        var transport: TransportError?
    }

    /// Tells the task's ``RequestLog/observer`` how an attempt went.
    private func note(
        _ observer: RequestLog.Observer,
        _ request: HTTPRequest,
        _ lease: Lease?,
        _ attempt: Int,
        _ answer: (status: Int, classification: Classification)?,
        _ transportError: TransportError.Code?,
        since start: C.Instant
    ) {
        observer(
            RequestAttempt(
                provider: self.profile.name,
                method: request.method,
                path: Self.redact(request.url.path, lease),
                keyID: lease?.keyID,
                attempt: attempt,
                status: answer?.status,
                classification: answer?.classification,
                transportError: transportError,
                latency: start.duration(to: self.clock.now)
            )
        )
    }

    /// A lease on a key that has not answered this request with 403 (the rotator skips those keys for this request
    /// only), and one that has not failed it either when such a key is free now. Once the request has used up
    /// ``Configuration/maximumAttempts`` (`mustGoElsewhere`), only a key that has not failed it, waiting for the
    /// first to be free within the deadline, while one can still answer; a key that failed it only when none can.
    private func lease(
        cost: Int,
        deadline: C.Instant?,
        avoiding forbidden: Set<KeyID>,
        preferringNot failed: Set<KeyID>,
        mustGoElsewhere: Bool
    ) async throws -> Lease? {
        guard let rotator = self.rotator else { return nil }
        if !failed.isEmpty {
            let elsewhere = forbidden.union(failed)
            if let lease = await rotator.acquireIfReady(cost: cost, avoiding: elsewhere) { return lease }
            if mustGoElsewhere && rotator.hasUsableKey(excluding: elsewhere) {
                do {
                    return try await rotator.acquire(cost: cost, avoiding: elsewhere, deadline: deadline)
                } catch let error as KeyRotatorError where error.code == .allKeysInvalid {
                    // The other keys turned out quarantined meanwhile: a key that failed this request it is.
                }
            }
        }
        if forbidden.isEmpty {
            if let lease = rotator.leaseIfReady(cost: cost) { return lease }  // no async call when a key is ready
            return try await rotator.waitForLease(cost: cost, deadline: deadline)
        }
        return try await rotator.acquire(cost: cost, avoiding: forbidden, deadline: deadline)
    }

    /// Whether a request that failed `failures` times (on the keys in `failed`) gets another attempt: always below
    /// ``Configuration/maximumAttempts``; past it only while a key that has not failed it (nor refused it with 403)
    /// can still answer, and never past the pool's key count + 2 failures.
    private func retriesAfter(failures: Int, failed: Set<KeyID>, forbidden: Set<KeyID>) -> Bool {
        let floor = max(1, self.configuration.maximumAttempts)
        guard let rotator = self.rotator else { return failures < floor }
        if failures >= max(floor, rotator.keyCount + 2) { return false }
        return failures < floor || rotator.hasUsableKey(excluding: failed.union(forbidden))
    }

    /// After a 5xx, timeout or reset (reported already): refuses to repeat a request that is not idempotent, and
    /// backs off before the next attempt (unless that was the last one).
    private func afterTransientFailure(
        _ request: HTTPRequest,
        failures: Int,
        failed: Set<KeyID>,
        forbidden: Set<KeyID>,
        attempts: Int,
        deadline: C.Instant?,
        last: Last,
        what: String
    ) async throws {
        guard request.isRetryable else {
            throw self.error(.attemptsExhausted, "\(what); not retried: the request is not idempotent", attempts, last)
        }
        if self.retriesAfter(failures: failures, failed: failed, forbidden: forbidden) {
            try await self.backOff(after: failures, deadline: deadline, last: last)
        }
    }

    /// Sleeps a full-jitter exponential backoff, unless that would pass the deadline.
    private func backOff(
        after attempts: Int,
        deadline: C.Instant?,
        last: Last
    ) async throws {
        let ceiling = min(
            self.configuration.maximumBackoff.nanoseconds,
            self.configuration.initialBackoff.nanoseconds << min(attempts - 1, 20)
        )
        let random = self.jitter.withLock { state -> UInt64 in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let pause = Duration.nanoseconds(Int64(Double(random >> 11) / Double(1 << 53) * Double(max(ceiling, 0))))
        let wake = self.clock.now.advanced(by: pause)
        if let deadline, wake > deadline {
            throw self.error(.deadlineExceeded, "the deadline leaves no time for another attempt", attempts, last)
        }
        do { try await self.clock.sleep(until: wake, tolerance: nil) } catch {
            throw self.error(.cancelled, "the request was cancelled", attempts, last)
        }
    }

    private func error(
        _ code: RotatingClientError.Code,
        _ message: String,
        _ attempts: Int,
        _ last: Last,
        eta: Timestamp? = nil
    ) -> RotatingClientError {
        RotatingClientError(
            code,
            message: message,
            provider: self.profile.name,
            keyID: last.keyID,
            attempts: attempts,
            lastStatus: last.status,
            providerCode: last.providerCode,
            providerMessage: last.providerMessage,
            eta: eta,
            transportError: last.transport
        )
    }

    private func error(for error: KeyRotatorError, attempts: Int, last: Last) -> RotatingClientError {
        switch error.code {
        case .deadlineExceeded:
            if self.rotator == nil {
                let when = error.eta.map { " (it may send again at \($0))" } ?? ""
                return self.error(
                    .allKeysLimited,
                    "the provider rate limits requests without a key, past the deadline\(when): add keys or "
                        + "wait",
                    attempts,
                    last,
                    eta: error.eta
                )
            }
            let when = error.eta.map { " (a key is free at \($0))" } ?? ""
            return self.error(
                .allKeysLimited,
                "every key is limited past the deadline\(when)",
                attempts,
                last,
                eta: error.eta
            )
        case .cancelled:
            return self.error(.cancelled, "the request was cancelled while waiting for a key", attempts, last)
        case .storeFailed:
            return self.error(.allKeysLimited, error.message, attempts, last, eta: error.eta)
        default:
            return self.error(.noUsableKey, error.message, attempts, last, eta: error.eta)
        }
    }
}

extension RotatingClient where C == ContinuousClock {
    /// Creates a client on the continuous clock that sends through `CurlTransport` (Linux) or `URLSessionTransport` with the profile's policy.
    public convenience init(
        profile: ProviderProfile,
        rotator: KeyRotator<ContinuousClock>?,
        policy: TransportPolicy = TransportPolicy(),
        configuration: Configuration = .init()
    ) {
        self.init(
            profile: profile,
            rotator: rotator,
            transport: makeDefaultTransport(policy: profile.transportPolicy(policy)),
            clock: ContinuousClock(),
            configuration: configuration
        )
    }
}
