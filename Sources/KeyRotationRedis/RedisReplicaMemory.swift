import KeyRotation

/// What one replica remembers of the state it wrote to Redis, to write it back when Redis comes back empty
/// (restarted without persistence, or failed over to a replica that had not caught up) or after an outage the
/// local fallback covered.
///
/// Every merge is one that can't under-count: a calendar window becomes at least the highest count Redis reported
/// to this replica (the count after the pool's latest admission is the true count then, so the maximum over the
/// replicas is the true count at the pool's last admission), plus what this replica admitted in fallback; a GCRA
/// or bucket's arrival time becomes the latest any replica was told; spacing's last use the latest any replica
/// made; a strict window gets the union of every replica's own uses, each under a member name of its own (so a
/// write-back sent twice, or by two threads, adds it once; `ZADD GT` never moves a use earlier). Times are µs
/// on the server's clock.
struct RedisReplicaMemory {
    struct WindowID: Hashable {
        var fingerprint: String
        var period: String
        var start: Int64
    }

    struct Tally {
        /// Uses this replica made through Redis in the window.
        var throughRedis = 0
        /// Uses the local fallback admitted, not yet written back.
        var inFallback = 0
        /// The highest count Redis reported after one of this replica's admissions.
        var observed = 0
        var end: Int64
    }

    /// A use in a strict window: this replica's own, to write back as members `<member>-1` … `<member>-<cost>`.
    struct Use {
        var fingerprint: String
        var window: String  // µs, as in the scripts' limit triples
        var acquiredAt: Timestamp  // the caller's instant, to settle and refund it
        var at: Int64
        var cost: Int
        var member: String
        /// Admitted by the local fallback and not yet written back.
        var inFallback: Bool
    }

    struct GCRAID: Hashable {
        var fingerprint: String
        var interval: String
        var burst: String
    }

    var tallies: [WindowID: Tally] = [:]
    var uses: [Use] = []
    var arrivals: [GCRAID: Int64] = [:]
    /// Per key: the last use and the longest spacing asked of it.
    var spacings: [String: (last: Int64, interval: Int64)] = [:]
    /// The epoch (``RedisScripts/epoch``) this replica's state belongs to; `nil` before the first connection.
    var epoch: String?
    private var usesAfterPruning = 0

    /// Records an admission Redis decided at `server` (`values`: the script's per-limit state after it).
    mutating func recordAdmission(
        _ request: RedisKeyStateStore.AdmissionRequest,
        token: String,
        at server: Int64,
        acquiredAt: Timestamp,
        values: [Int64]?
    ) {
        self.tally(request, at: server, inFallback: false, observed: values)
        guard let values, values.count == request.limits.count else {
            self.recordUses(request, member: token, at: server, acquiredAt: acquiredAt, inFallback: false)
            return
        }
        for (limit, value) in zip(request.limits, values) {
            let arguments = limit.redisArguments
            switch limit.wrapped {
            case .tokenBucket, .gcra:
                let id = GCRAID(fingerprint: request.fingerprint, interval: arguments[1], burst: arguments[2])
                if self.arrivals[id] == nil { self.arrivals = self.arrivals.filter { $0.value > server } }
                self.arrivals[id] = max(self.arrivals[id] ?? 0, value)
            case .minimumSpacing:
                let interval = Int64(arguments[1]) ?? 0
                let known = self.spacings[request.fingerprint]
                if known == nil { self.spacings = self.spacings.filter { $0.value.last + $0.value.interval > server } }
                self.spacings[request.fingerprint] = (
                    max(known?.last ?? server, server), max(known?.interval ?? interval, interval)
                )
            default: break
            }
        }
        self.recordUses(request, member: token, at: server, acquiredAt: acquiredAt, inFallback: false)
    }

    /// Records a use the local fallback admitted, placed at `server` on the server's (estimated) clock.
    mutating func recordFallback(
        _ request: RedisKeyStateStore.AdmissionRequest,
        member: String,
        at server: Int64,
        acquiredAt: Timestamp
    ) {
        self.tally(request, at: server, inFallback: true, observed: nil)
        self.recordUses(request, member: member, at: server, acquiredAt: acquiredAt, inFallback: true)
    }

    private mutating func recordUses(
        _ request: RedisKeyStateStore.AdmissionRequest,
        member: String,
        at server: Int64,
        acquiredAt: Timestamp,
        inFallback: Bool
    ) {
        guard request.cost > 0 else { return }
        var windows: Set<String> = []
        for limit in request.limits {
            guard case .strict = limit.wrapped else { continue }
            let window = limit.redisArguments[2]
            guard windows.insert(window).inserted else { continue }
            self.uses.append(
                Use(
                    fingerprint: request.fingerprint,
                    window: window,
                    acquiredAt: acquiredAt,
                    at: server,
                    cost: request.cost,
                    member: member,
                    inFallback: inFallback
                )
            )
        }
        // Uses that have left their window can't matter any more (pruned when the list doubled: amortized O(1)).
        if self.uses.count > 2 * self.usesAfterPruning + 64 {
            self.uses.removeAll { use in (Int64(use.window) ?? 0) < server - use.at }
            self.usesAfterPruning = self.uses.count
        }
    }

    private mutating func tally(
        _ request: RedisKeyStateStore.AdmissionRequest,
        at server: Int64,
        inFallback: Bool,
        observed: [Int64]?
    ) {
        var seen: Set<CalendarPeriod> = []
        let instant = Timestamp(nanosecondsSinceEpoch: server &* 1000)
        for (index, limit) in request.limits.enumerated() {
            guard case .calendar(_, let period) = limit.wrapped, seen.insert(period).inserted else { continue }
            let id = WindowID(
                fingerprint: request.fingerprint,
                period: period.redisCode,
                start: period.start(containing: instant).nanosecondsSinceEpoch / 1000
            )
            var tally = self.tallies[id] ?? Tally(end: period.end(containing: instant).nanosecondsSinceEpoch / 1000)
            if inFallback { tally.inFallback += request.cost } else { tally.throughRedis += request.cost }
            if let observed, observed.count == request.limits.count {
                tally.observed = max(tally.observed, Int(clamping: observed[index]))
            }
            if self.tallies[id] == nil { self.tallies = self.tallies.filter { $0.value.end > server } }
            self.tallies[id] = tally
        }
    }

    /// The use admitted at `acquiredAt` completed at `completion`: its instant in the strict windows moves there.
    mutating func settle(fingerprint: String, acquiredAt: Timestamp, completion: Int64) {
        for index in self.uses.indices
        where self.uses[index].fingerprint == fingerprint && self.uses[index].acquiredAt == acquiredAt {
            self.uses[index].at = max(self.uses[index].at, completion)
        }
    }

    /// `cost` units of the use admitted at exactly `acquiredAt` were given back. Another instant matches nothing,
    /// and the use stays counted (never fewer than were sent).
    mutating func refund(fingerprint: String, cost: Int, acquiredAt: Timestamp) {
        for index in self.uses.indices
        where self.uses[index].fingerprint == fingerprint && self.uses[index].acquiredAt == acquiredAt {
            self.uses[index].cost = max(0, self.uses[index].cost - cost)
        }
        self.uses.removeAll { $0.cost == 0 }
    }

    /// The scripts that write this memory back: everything (`full`, Redis came back empty) or only what the
    /// fallback admitted (an outage Redis itself survived), for keys under `baseKey`.
    func writeBack(full: Bool, margin: String, baseKey: (String) -> String) -> [RedisScriptCall] {
        var calls: [RedisScriptCall] = self.tallies.compactMap { id, tally in
            guard full || tally.inFallback > 0 else { return nil }
            return RedisScriptCall(
                script: .reconcile,
                keys: [baseKey(id.fingerprint)],
                arguments: [
                    id.period, String(id.start), String(max(tally.observed, tally.throughRedis)),
                    String(tally.inFallback), margin,
                ]
            )
        }
        var entries: [String: [String]] = [:]  // fingerprint → kind, a, b, c, …
        for use in self.uses where full || use.inFallback {
            for unit in 1...max(1, use.cost) {
                entries[use.fingerprint, default: []].append(
                    contentsOf: ["s", use.window, "\(use.member)-\(unit)", String(use.at)]
                )
            }
        }
        if full {
            for (id, arrival) in self.arrivals {
                entries[id.fingerprint, default: []].append(contentsOf: ["g", id.interval, id.burst, String(arrival)])
            }
            for (fingerprint, spacing) in self.spacings {
                entries[fingerprint, default: []].append(
                    contentsOf: ["p", String(spacing.interval), String(spacing.last), "0"]
                )
            }
        }
        for (fingerprint, arguments) in entries {
            calls.append(
                RedisScriptCall(script: .restore, keys: [baseKey(fingerprint)], arguments: [margin] + arguments)
            )
        }
        return calls
    }

    /// After a successful write-back of `written` (the memory as it was sent): what the fallback admitted is now
    /// in Redis too.
    mutating func wroteBack(_ written: Self) {
        let members = Set(written.uses.filter(\.inFallback).map(\.member))
        for index in self.uses.indices where members.contains(self.uses[index].member) {
            self.uses[index].inFallback = false
        }
        for (id, tally) in written.tallies {
            guard var current = self.tallies[id] else { continue }
            current.throughRedis += tally.inFallback
            current.inFallback -= tally.inFallback
            self.tallies[id] = current
        }
    }
}
