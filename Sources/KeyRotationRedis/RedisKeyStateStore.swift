import Foundation
public import KeyRotation
import Synchronization

/// Key state in Redis, shared by every process on every machine that points at the same server and prefix.
///
/// Each admission is one Lua script run atomically on the server, so N replicas together never exceed a key's
/// limits: calendar windows (UTC, from the server's clock), strict rolling windows (a sorted set of uses),
/// minimum spacing, GCRA and token buckets (a theoretical arrival time), and health blocks (cooldowns, invalid
/// marks, Retry-After) are all shared. Every decision uses the server's `TIME`, so clock skew between machines
/// cannot over-admit; ETAs come back relative to the server's now and are placed on the caller's timeline.
/// ``peek(fingerprint:cost:limits:at:)`` runs the same decision without writes, and
/// ``settle(fingerprint:cost:acquiredAt:completedAt:limits:)`` moves a use to its request's completion.
///
/// Keys look like `<prefix>{<fingerprint>}:<kind>…`: fingerprints only, never key material, and every key
/// expires after the window or block it holds plus ``Configuration/expiryMargin``.
///
/// One connection, pipelined automatically (``RedisLink``): calls from many threads at once are written in one
/// batch and their replies matched in order, and no lock is held during network I/O. When Redis is out of reach
/// the store acts as ``Configuration/whenUnavailable`` says and reconnects, with backoff, on later calls.
public final class RedisKeyStateStore: KeyStateStore {
    /// The configuration the store was created with.
    public let configuration: Configuration
    private let state: Mutex<State>
    private let link: RedisLink
    /// Tells this store's admission tokens and the sorted-set members it writes back after an outage apart from
    /// every other store's (64 random bits).
    private let instance = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16))

    private struct State {
        var fallback: [String: CompositeLimiter] = [:]
        /// What this replica wrote, to write back when Redis lost it.
        var memory = RedisReplicaMemory()
        /// Uses admitted in fallback so far: with the store's instance, the members they are written back as.
        var fallbackSerial = 0
        /// Admissions sent so far: with ``RedisKeyStateStore/instance``, each one's token.
        var admissions = 0
        /// The caller's now and the server's now (µs) at the last call, and when that was: places times that
        /// come without a caller's now (``setBlock(_:fingerprint:)``) on the server's timeline.
        var lastCall: (caller: Timestamp, server: Int64, at: ContinuousClock.Instant)?
    }

    /// A store for `configuration`. Connects lazily, on the first call.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.state = Mutex(State())
        self.link = RedisLink(configuration: configuration)
        self.link.setOnConnect { [unowned self] session, afterOutage throws(RedisError) in
            try self.synchronize(afterOutage: afterOutage) { calls throws(RedisError) in try session.evaluate(calls) }
        }
    }

    /// A store for the server at `url` (`redis://[[user]:password@]host[:port][/db]`).
    ///
    /// - Throws: ``RedisError`` as ``RedisEndpoint/init(url:)`` does.
    public convenience init(url: String, whenUnavailable: UnavailablePolicy = .failClosed) throws(RedisError) {
        self.init(configuration: try Configuration(url: url, whenUnavailable: whenUnavailable))
    }

    /// Connects now (instead of on the first call) and checks the server with `PING`.
    ///
    /// - Throws: ``KeyStateStoreError`` (``KeyStateStoreError/Code/unavailable``) when Redis can't be reached.
    public func connect() throws {
        if case .failure(let error) = self.link.execute([]) { throw self.unavailable(error) }
    }

    /// Whether the store has a live connection now (it may still break on the next call).
    public var isConnected: Bool { self.link.isConnected }

    /// Pipelined batches written so far and the scripts they carried.
    package var pipelineStatistics: (batches: Int, calls: Int) { self.link.statistics }

    // MARK: KeyStateStore

    /// Decides on the server, in one script, whether the key may spend `cost` units now, and records the use.
    ///
    /// A block in force refuses until its end; a `cost` above a limit's capacity is refused for good
    /// (``Timestamp/distantFuture``); several refusals answer the latest ETA. While Redis is unreachable:
    /// ``Configuration/whenUnavailable``.
    /// - Throws: ``KeyStateStoreError`` with ``KeyStateStoreError/Code/unavailable`` when Redis is unreachable
    ///   and the store fails closed.
    public func admit(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission {
        precondition(cost >= 0, "a use costs at least 0 units")
        let request = AdmissionRequest(fingerprint: fingerprint, cost: cost, limits: limits)
        return try self.admit([request], at: now)[0]
    }

    /// One admission in a pipelined batch.
    package struct AdmissionRequest: Sendable {
        package var fingerprint: String
        package var cost: Int
        package var limits: [RateLimit]

        package init(fingerprint: String, cost: Int, limits: [RateLimit]) {
            self.fingerprint = fingerprint
            self.cost = cost
            self.limits = limits
        }
    }

    /// Admits several requests in one pipelined round trip (each still its own atomic script), in order.
    ///
    /// Each request carries a token of its own, the same on the retry after a closed connection, so a script
    /// that ran but whose reply was lost is answered from its first run instead of counting the use twice (see
    /// ``RedisScripts/admit``).
    package func admit(_ requests: [AdmissionRequest], at now: Timestamp) throws -> [StoreAdmission] {
        try self.admit(requests, at: now, mayResynchronize: true)
    }

    /// Admits `requests`; those the script sent back because Redis lost the pool's state (or this replica has
    /// not written its own back to the current epoch) are admitted again after ``synchronize(afterOutage:_:)``.
    private func admit(
        _ requests: [AdmissionRequest],
        at now: Timestamp,
        mayResynchronize: Bool
    ) throws -> [StoreAdmission] {
        let (first, epoch) = self.state.withLock { state in
            defer { state.admissions += requests.count }
            return (state.admissions + 1, state.memory.epoch ?? "")
        }
        let tokens = requests.indices.map { "\(self.instance)-\(first + $0)" }
        let calls = requests.indices.map { index in
            let request = requests[index]
            var keys = [self.baseKey(request.fingerprint), self.epochKey]
            if let log = self.configuration.admissionLogKey { keys.append(log) }
            let arguments =
                [String(request.cost), self.marginMilliseconds, request.fingerprint, String(request.limits.count)]
                + request.limits.flatMap(\.redisArguments) + [tokens[index], self.tokenMilliseconds, epoch]
            return RedisScriptCall(script: .admit, keys: keys, arguments: arguments)
        }
        let outcome = self.execute(calls)
        let result = self.state.withLock { state -> Result<[StoreAdmission?], RedisError> in
            switch outcome {
            case .success(let replies):
                do throws(RedisError) {
                    return .success(
                        try requests.indices.map { index throws(RedisError) -> StoreAdmission? in
                            let reply = try AdmissionReply(replies[index])
                            if reply.flag == 2 { return nil }
                            let admission = Self.admission(reply, at: now, state: &state)
                            if case .admitted = admission {
                                state.memory.recordAdmission(
                                    requests[index],
                                    token: tokens[index],
                                    at: reply.server,
                                    acquiredAt: now,
                                    values: reply.values
                                )
                            }
                            return admission
                        }
                    )
                } catch {
                    return .failure(error)
                }
            case .failure(let error):
                guard case .localFallback(let fraction) = self.configuration.whenUnavailable.wrapped else {
                    return .failure(error)
                }
                return .success(requests.map { self.admitLocally($0, fraction: fraction, at: now, state: &state) })
            }
        }
        let answers: [StoreAdmission?]
        switch result {
        case .success(let admissions): answers = admissions
        case .failure(let error): throw self.unavailable(error)
        }
        let stale = answers.indices.filter { answers[$0] == nil }
        guard !stale.isEmpty else { return answers.map { $0! } }
        guard mayResynchronize else {
            throw self.unavailable(
                RedisError(.serverError, "Redis lost the pool's state again while this replica wrote its own back")
            )
        }
        do throws(RedisError) {
            try self.synchronize(afterOutage: false) { calls throws(RedisError) in try self.execute(calls).get() }
        } catch {
            throw self.unavailable(error)
        }
        var merged = answers
        let again = try self.admit(stale.map { requests[$0] }, at: now, mayResynchronize: false)
        for (index, admission) in zip(stale, again) { merged[index] = admission }
        return merged.map { $0! }
    }

    /// What ``admit(fingerprint:cost:limits:at:)`` would answer now, recording nothing: the same script's
    /// decision on the server's clock, without its writes. While Redis is unreachable and the store falls back
    /// locally, it knows nothing (admitted, `remaining` unknown); failing closed, it throws.
    /// - Throws: ``KeyStateStoreError`` with ``KeyStateStoreError/Code/unavailable`` when Redis is unreachable
    ///   and the store fails closed.
    public func peek(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission {
        precondition(cost >= 0, "a use costs at least 0 units")
        let arguments =
            [String(cost), self.marginMilliseconds, fingerprint, String(limits.count)]
            + limits.flatMap(\.redisArguments)
        let outcome = self.execute(
            [RedisScriptCall(script: RedisScript.peek, keys: [self.baseKey(fingerprint)], arguments: arguments)]
        )
        let result = self.state.withLock { state -> Result<StoreAdmission, RedisError> in
            switch outcome {
            case .success(let replies):
                do throws(RedisError) {
                    return .success(Self.admission(try AdmissionReply(replies[0]), at: now, state: &state))
                } catch {
                    return .failure(error)
                }
            case .failure(let error):
                guard case .localFallback = self.configuration.whenUnavailable.wrapped else { return .failure(error) }
                return .success(.admitted(remaining: nil))
            }
        }
        switch result {
        case .success(let admission): return admission
        case .failure(let error): throw self.unavailable(error)
        }
    }

    /// The request of a use admitted at `acquiredAt` completed at `completedAt`: strict windows and spacing count
    /// the use from the completion, on the server's clock.
    ///
    /// The server recorded the use at its own instant, which the caller does not know; the script takes the
    /// request's duration (`completedAt − acquiredAt`, on the caller's clock) and moves, in each strict window,
    /// `cost` uses from the score nearest to its now minus that duration to its now (see
    /// ``RedisScripts/settle``); the spacing's last use becomes the later of itself and the server's now. Keys
    /// with neither kind of limit cost no round trip. While Redis is unreachable and the store falls back
    /// locally, the fallback's own record of the use moves instead.
    /// - Throws: ``KeyStateStoreError`` with ``KeyStateStoreError/Code/unavailable`` when Redis is unreachable
    ///   and the store fails closed.
    public func settle(
        fingerprint: String,
        cost: Int,
        acquiredAt: Timestamp,
        completedAt: Timestamp,
        limits: [RateLimit]
    ) throws {
        let moving = limits.filter {
            switch $0.wrapped {
            case .strict, .minimumSpacing: true
            default: false
            }
        }
        guard completedAt > acquiredAt, !moving.isEmpty else { return }
        let duration = acquiredAt.duration(to: completedAt).nanoseconds / 1000
        try self.runScript(RedisScript.settle, fingerprint: fingerprint, at: completedAt) { _ in
            [String(cost), String(duration), self.marginMilliseconds, String(moving.count)]
                + moving.flatMap(\.redisArguments)
        } onUnavailable: { state in
            if var limiter = state.fallback[fingerprint] {
                limiter.settle(cost: cost, acquiredAt: acquiredAt, completedAt: completedAt)
                state.fallback[fingerprint] = limiter
            }
        }
        self.state.withLock { state in
            let completion = Self.serverMicros(at: completedAt, state: state)
            state.memory.settle(fingerprint: fingerprint, acquiredAt: acquiredAt, completion: completion)
        }
    }

    /// Gives back `cost` units in the current window of each limit (a use that did not count).
    ///
    /// Like an admission, a refund carries a token, so the retry after a closed connection gives back once.
    public func refund(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws {
        guard cost > 0 else { return }
        let token = "\(self.instance)-r-\(UUID().uuidString.prefix(13))"
        try self.runScript(
            RedisScript.refund,
            fingerprint: fingerprint,
            at: now
        ) { _ in
            [String(cost), self.marginMilliseconds, String(limits.count)] + limits.flatMap(\.redisArguments)
                + [token, self.tokenMilliseconds]
        } onUnavailable: { state in
            // Redis is away: give it back to the local fallback, if that admitted it.
            if var limiter = state.fallback[fingerprint] {
                limiter.refund(cost: cost, at: now)
                state.fallback[fingerprint] = limiter
            }
        }
        // The use admitted at exactly `now` (a lease's acquiredAt) is not written back to the rolling windows.
        self.state.withLock { $0.memory.refund(fingerprint: fingerprint, cost: cost, acquiredAt: now) }
    }

    /// Persists a health block, or clears it when `block` is `nil`. The block's end is placed on the server's
    /// clock by the offset between the caller's and the server's time measured at the last call.
    public func setBlock(_ block: StoredBlock?, fingerprint: String) throws {
        try self.runScript(RedisScript.setBlock, fingerprint: fingerprint, at: nil) { state in
            guard let block else { return ["", "0", self.marginMilliseconds] }
            let callerNow =
                state.lastCall.map { $0.caller.advanced(by: ContinuousClock.now - $0.at) } ?? Timestamp(Date())
            let delta =
                block.until == .distantFuture
                ? Int64(1) << 50
                : (block.until.nanosecondsSinceEpoch &- callerNow.nanosecondsSinceEpoch) / 1000
            return [block.reason.rawValue, String(delta), self.marginMilliseconds]
        } onUnavailable: { _ in
        }
    }

    /// The blocks of these keys that are still in force at `now` (on the server's clock).
    public func blocks(fingerprints: [String], at now: Timestamp) throws -> [String: StoredBlock] {
        let unique = Array(Set(fingerprints))
        guard !unique.isEmpty else { return [:] }
        let outcome = self.execute(
            [RedisScriptCall(script: RedisScript.blocks, keys: unique.map(self.baseKey), arguments: [])]
        )
        let result = outcome.flatMap { replies in
            self.state.withLock { state -> Result<[String: StoredBlock], RedisError> in
                let reply = replies[0]
                guard case .array(let values) = reply, values.count == unique.count + 1, let server = values[0].integer
                else { return .failure(Self.unexpected(reply, "the blocks script")) }
                state.lastCall = (now, server, .now)
                var blocks: [String: StoredBlock] = [:]
                for (fingerprint, value) in zip(unique, values.dropFirst()) {
                    guard let text = value.string, let bar = text.lastIndex(of: "|"),
                        let reason = StoredBlock.Reason(rawValue: String(text[..<bar])),
                        let until = Int64(text[text.index(after: bar)...]), until > server
                    else { continue }
                    let local = Self.callerTime(until, server: server, caller: now)
                    blocks[fingerprint] = StoredBlock(reason: reason, until: local)
                }
                return .success(blocks)
            }
        }
        switch result {
        case .success(let blocks): return blocks
        case .failure(let error):
            if case .localFallback = self.configuration.whenUnavailable.wrapped { return [:] }
            throw self.unavailable(error)
        }
    }

    /// Raises the usage of the calendar window the server spoke about, so that used = limit − `remaining`
    /// (never lowered); the window is the one ending nearest `resetAt`, else the shortest calendar period.
    public func observe(
        remaining: Int,
        resetAt: Timestamp?,
        fingerprint: String,
        limits: [RateLimit],
        at now: Timestamp
    ) throws {
        let reset = resetAt.map { String(($0.nanosecondsSinceEpoch &- now.nanosecondsSinceEpoch) / 1000) } ?? ""
        try self.runScript(
            RedisScript.observe,
            fingerprint: fingerprint,
            at: now
        ) { _ in
            [String(remaining), reset, self.marginMilliseconds, String(limits.count)] + limits.flatMap(\.redisArguments)
        } onUnavailable: { _ in
        }
    }

    // MARK: Running

    /// Runs `calls` in the link's next pipelined batch; an error reply fails them with
    /// ``RedisError/Code/serverError``.
    private func execute(_ calls: [RedisScriptCall]) -> Result<[RedisReply], RedisError> {
        self.link.execute(calls).flatMap { replies in
            for reply in replies {
                guard case .error(let message) = reply else { continue }
                return .failure(
                    RedisError(
                        .serverError,
                        "Redis at \(self.configuration.endpoint) refused the store's script: \(message.prefix(300))"
                    )
                )
            }
            return .success(replies)
        }
    }

    /// Runs a one-key script; on failure, `onUnavailable` (fallback) or throws (fail closed).
    private func runScript(
        _ script: RedisScript,
        fingerprint: String,
        at now: Timestamp?,
        arguments: @Sendable (State) -> [String],
        onUnavailable: @Sendable (inout State) -> Void
    ) throws {
        let values = self.state.withLock { arguments($0) }
        let outcome = self.execute(
            [RedisScriptCall(script: script, keys: [self.baseKey(fingerprint)], arguments: values)]
        )
        let result = self.state.withLock { state -> Result<Void, RedisError> in
            switch outcome {
            case .success(let replies):
                if let now, let server = replies[0].integer { state.lastCall = (now, server, .now) }
                return .success(())
            case .failure(let error):
                guard case .localFallback = self.configuration.whenUnavailable.wrapped else { return .failure(error) }
                onUnavailable(&state)
                return .success(())
            }
        }
        if case .failure(let error) = result { throw self.unavailable(error) }
    }

    // MARK: Local fallback

    private func admitLocally(
        _ request: AdmissionRequest,
        fraction: Double,
        at now: Timestamp,
        state: inout State
    ) -> StoreAdmission {
        let scaled = request.limits.map { $0.scaled(by: fraction) }
        var limiter = state.fallback[request.fingerprint] ?? CompositeLimiter(scaled, now: now)
        if limiter.limits != scaled { limiter.setLimits(scaled, at: now) }
        let eta = limiter.earliestAdmission(cost: request.cost, at: now)
        guard eta <= now else {
            state.fallback[request.fingerprint] = limiter
            return .notBefore(eta)
        }
        limiter.record(cost: request.cost, at: now)
        let remaining = limiter.remaining(at: now)
        state.fallback[request.fingerprint] = limiter
        // Place the use on the server's timeline for the windows it counts in once Redis is back.
        let server = Self.serverMicros(at: now, state: state)
        state.fallbackSerial += 1
        state.memory.recordFallback(
            request,
            member: "f\(self.instance)-\(state.fallbackSerial)",
            at: server,
            acquiredAt: now
        )
        return .admitted(remaining: remaining)
    }

    // MARK: Redis losing its state

    /// Checks the pool's epoch (creating it if Redis has none: a new pool, or a Redis that restarted empty or failed
    /// over) and writes back what this replica holds when its state belongs to an older epoch (everything) or
    /// after an outage (what the fallback admitted). Runs on each new connection, before any other call, and when
    /// an admission finds the epoch gone.
    private func synchronize(
        afterOutage: Bool,
        _ evaluate: ([RedisScriptCall]) throws(RedisError) -> [RedisReply]
    ) throws(RedisError) {
        func checked(_ calls: [RedisScriptCall]) throws(RedisError) -> [RedisReply] {
            let replies = try evaluate(calls)
            for reply in replies {
                if case .error(let message) = reply {
                    throw RedisError(.serverError, "Redis refused the store's write-back: \(message.prefix(300))")
                }
            }
            return replies
        }
        let known = self.state.withLock { $0.memory.epoch }
        // A replica that held state when Redis lost it holds every admission back for the grace, so the others
        // can write theirs back first; a new one has nothing to wait for.
        let grace = known == nil ? 0 : self.configuration.restartGrace.nanoseconds / 1000
        let name = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16))
        let reply = try checked([
            RedisScriptCall(script: .epoch, keys: [self.epochKey], arguments: [name, String(grace)])
        ])
        guard let mark = reply[0].string, let bar = mark.firstIndex(of: "|") else {
            throw Self.unexpected(reply[0], "the epoch script")
        }
        let epoch = String(mark[..<bar])
        let lost = known != nil && known != epoch
        guard lost || afterOutage else {
            self.state.withLock { $0.memory.epoch = epoch }
            return
        }
        let memory = self.state.withLock { $0.memory }
        let calls = memory.writeBack(full: lost, margin: self.marginMilliseconds, baseKey: self.baseKey)
        if !calls.isEmpty { _ = try checked(calls) }
        self.state.withLock { state in
            state.memory.wroteBack(memory)
            state.memory.epoch = epoch
            state.fallback = [:]
        }
    }

    // MARK: Helpers

    /// `{<prefix>}<fingerprint>`: the hash tag keeps a pool's records in one cluster slot.
    private func baseKey(_ fingerprint: String) -> String { "{\(self.configuration.keyPrefix)}\(fingerprint)" }

    /// The pool's epoch marker (``RedisScripts/epoch``).
    private var epochKey: String { "{\(self.configuration.keyPrefix)}epoch" }

    private var marginMilliseconds: String { String(max(1, self.configuration.expiryMargin.nanoseconds / 1_000_000)) }

    /// How long an admission's token is kept: longer than a retry can follow the first run (the first read's
    /// timeout, then a reconnect and a script load), and at least 1 s.
    private var tokenMilliseconds: String {
        let retry = self.configuration.connectTimeout + self.configuration.ioTimeout * 2
        return String(max(1000, (retry * 2).nanoseconds / 1_000_000))
    }

    /// A server instant (µs) on the caller's timeline, by the offset measured at this call.
    private static func callerTime(_ server: Int64, server now: Int64, caller: Timestamp) -> Timestamp {
        caller.advanced(by: .microseconds(server - now))
    }

    /// Where the caller's `now` falls on the server's clock (µs), by the offset measured at the last call (the
    /// caller's own clock before any).
    private static func serverMicros(at now: Timestamp, state: State) -> Int64 {
        state.lastCall.map { $0.server + ($0.caller.duration(to: now).nanoseconds / 1000) }
            ?? now.nanosecondsSinceEpoch / 1000
    }

    /// An admission script's reply: `{flag, value, server now, per-limit state…}`.
    private struct AdmissionReply {
        var flag: Int64
        var value: Int64
        var server: Int64
        var values: [Int64]?

        init(_ reply: RedisReply) throws(RedisError) {
            guard case .array(let items) = reply, items.count >= 3, let flag = items[0].integer,
                let value = items[1].integer, let server = items[2].integer
            else { throw RedisKeyStateStore.unexpected(reply, "the admission script") }
            (self.flag, self.value, self.server) = (flag, value, server)
            let rest = items.dropFirst(3).compactMap(\.integer)
            self.values = items.count > 3 && rest.count == items.count - 3 ? rest : nil
        }
    }

    /// An admission script's reply as the caller's answer (ETAs on the caller's timeline).
    private static func admission(_ reply: AdmissionReply, at now: Timestamp, state: inout State) -> StoreAdmission {
        state.lastCall = (now, reply.server, .now)
        guard reply.flag == 1 else {
            if reply.value < 0 { return .notBefore(.distantFuture) }
            return .notBefore(Self.callerTime(reply.value, server: reply.server, caller: now))
        }
        return .admitted(remaining: reply.value < 0 ? nil : Int(reply.value))
    }

    private static func unexpected(_ reply: RedisReply, _ what: String) -> RedisError {
        RedisError(.malformedReply, "\(what) answered an unexpected reply (\(String(describing: reply).prefix(120)))")
    }

    private func unavailable(_ error: RedisError) -> KeyStateStoreError {
        KeyStateStoreError(
            .unavailable,
            "Redis at \(self.configuration.endpoint) can't be used (\(error)); no key was admitted through it. "
                + "The store reconnects with backoff on later calls; to keep working during outages, configure "
                + "whenUnavailable: .localFallback(fraction:)"
        )
    }
}
