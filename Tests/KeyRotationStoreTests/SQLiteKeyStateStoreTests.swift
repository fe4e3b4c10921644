import Dispatch
import Foundation
import KeyRotation
import KeyRotationStore
import KeyRotationTesting
import Synchronization
import Testing

/// 2026-01-01 00:00:00 UTC.
private let midnight = TestClock.defaultStart

private func at(_ seconds: Int64) -> Timestamp {
    midnight.advanced(by: .seconds(seconds))
}

@Suite struct SQLiteKeyStateStoreTests {
    let directory: TestDirectory
    let store: SQLiteKeyStateStore

    init() throws {
        self.directory = try TestDirectory()
        self.store = try SQLiteKeyStateStore(path: self.directory.path())
    }

    @Test func calendarQuotaAdmitsUpToTheLimitThenWaitsForTheNextWindow() throws {
        let limits = [RateLimit.calendar(3, per: .day)]
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(10)) == .admitted(remaining: 2))
        #expect(try self.store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(20)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(30)) == .notBefore(at(86400)))
        #expect(try self.store.admit(fingerprint: "b", cost: 1, limits: limits, at: at(30)) == .admitted(remaining: 2))
        #expect(
            try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(86400)) == .admitted(remaining: 2)
        )
    }

    @Test func strictWindowWaitsUntilTheOldestUseLeaves() throws {
        let limits = [RateLimit.strict(2, per: .seconds(60))]
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .admitted(remaining: 1))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(10)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(59)) == .notBefore(at(60)))
        #expect(try self.store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(60)) == .notBefore(at(70)))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(60)) == .admitted(remaining: 0))
    }

    @Test func minimumSpacingWaitsAfterTheLastUse() throws {
        let limits = [RateLimit.minimumSpacing(.seconds(15))]
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .admitted(remaining: nil))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(14)) == .notBefore(at(15)))
        #expect(
            try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(15)) == .admitted(remaining: nil)
        )
    }

    @Test func tokenBucketAllowsABurstThenOnePerInterval() throws {
        let limits = [RateLimit.tokenBucket(capacity: 2, refillInterval: .seconds(10))]
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .admitted(remaining: 1))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .notBefore(at(10)))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(10)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(25)) == .notBefore(at(30)))
        #expect(try self.store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(30)) == .admitted(remaining: 0))
    }

    @Test func gcraSpacesUsesByTheEmissionInterval() throws {
        let limits = [try RateLimit.gcra(rate: 6, per: .seconds(60), burst: 1)]
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(0)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(5)) == .notBefore(at(10)))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(10)) == .admitted(remaining: 0))
    }

    @Test(arguments: [
        RateLimit.calendar(5, per: .day), .strict(5, per: .seconds(1)),
        .tokenBucket(capacity: 5, refillInterval: .seconds(1)),
        try .gcra(rate: 1, per: .seconds(1), burst: 5),
    ])
    func costAboveCapacityIsNeverAdmitted(limit: RateLimit) throws {
        #expect(
            try self.store.admit(fingerprint: "a", cost: 6, limits: [limit], at: at(0)) == .notBefore(.distantFuture)
        )
        #expect(try self.store.admit(fingerprint: "a", cost: 5, limits: [limit], at: at(0)) == .admitted(remaining: 0))
    }

    @Test func theTightestLimitDecidesAndTheLatestETAWins() throws {
        let limits: [RateLimit] = [.strict(4, per: .seconds(60)), .calendar(5, per: .day)]
        for second in 0..<4 {
            #expect(
                try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(Int64(second)))
                    != .notBefore(.distantFuture)
            )
        }
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(30)) == .notBefore(at(60)))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(60)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(200)) == .notBefore(at(86400)))
    }

    @Test func anActiveBlockRefusesUntilItsEnd() throws {
        try self.store.setBlock(StoredBlock(reason: .coolingDown, until: at(30)), fingerprint: "a")
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: [], at: at(29)) == .notBefore(at(30)))
        #expect(
            try self.store.blocks(fingerprints: ["a", "b"], at: at(29)) == [
                "a": StoredBlock(reason: .coolingDown, until: at(30))
            ]
        )
        #expect(try self.store.blocks(fingerprints: ["a"], at: at(30)).isEmpty)
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: [], at: at(30)) == .admitted(remaining: nil))
        try self.store.setBlock(StoredBlock(reason: .invalid, until: at(500)), fingerprint: "a")
        try self.store.setBlock(nil, fingerprint: "a")
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: [], at: at(31)) == .admitted(remaining: nil))
    }

    @Test func refundGivesUnitsBackInTheCurrentWindow() throws {
        let limits: [RateLimit] = [
            .calendar(2, per: .day), .strict(2, per: .seconds(60)),
            .tokenBucket(capacity: 2, refillInterval: .seconds(60)),
        ]
        #expect(try self.store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(0)) == .admitted(remaining: 0))
        try self.store.refund(fingerprint: "a", cost: 1, limits: limits, at: at(1))
        #expect(try self.store.remaining(fingerprint: "a", limits: limits, at: at(1)) == 1)
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(1)) == .admitted(remaining: 0))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(2)) != .admitted(remaining: 0))
    }

    @Test func observeRaisesUsageButNeverLowersIt() throws {
        let limits: [RateLimit] = [.calendar(100, per: .day), .calendar(1000, per: .month)]
        #expect(try self.store.admit(fingerprint: "a", cost: 10, limits: limits, at: at(0)) == .admitted(remaining: 90))
        // The server says 5 remain in the window that resets at the next midnight: the day's usage becomes 95.
        try self.store.observe(remaining: 5, resetAt: at(86400), fingerprint: "a", limits: limits, at: at(1))
        #expect(try self.store.remaining(fingerprint: "a", limits: limits, at: at(1)) == 5)
        // A server that knows of fewer uses never lowers the count.
        try self.store.observe(remaining: 50, resetAt: at(86400), fingerprint: "a", limits: limits, at: at(2))
        #expect(try self.store.remaining(fingerprint: "a", limits: limits, at: at(2)) == 5)
        // Without a reset time, the shortest calendar window is meant.
        try self.store.observe(remaining: 0, resetAt: nil, fingerprint: "a", limits: limits, at: at(3))
        #expect(try self.store.admit(fingerprint: "a", cost: 1, limits: limits, at: at(3)) == .notBefore(at(86400)))
        #expect(try self.store.remaining(fingerprint: "a", limits: [.calendar(1000, per: .month)], at: at(3)) == 990)
    }

    @Test func lastOutcomeIsRecorded() throws {
        #expect(try self.store.lastOutcome(fingerprint: "a") == nil)
        try self.store.recordOutcome("rateLimited", fingerprint: "a", at: at(5))
        #expect(try self.store.lastOutcome(fingerprint: "a") == StoredOutcome(outcome: "rateLimited", at: at(5)))
    }

    @Test func aRestartKeepsBlocksAndDailyUsage() throws {
        let limits = [RateLimit.calendar(3, per: .day)]
        let path = self.directory.path("restart.sqlite")
        do {
            let store = try SQLiteKeyStateStore(path: path)
            #expect(try store.admit(fingerprint: "a", cost: 2, limits: limits, at: at(10)) == .admitted(remaining: 1))
            try store.setBlock(StoredBlock(reason: .coolingDown, until: at(100)), fingerprint: "b")
        }
        let reopened = try SQLiteKeyStateStore(path: path)
        #expect(
            try reopened.blocks(fingerprints: ["a", "b"], at: at(50)) == [
                "b": StoredBlock(reason: .coolingDown, until: at(100))
            ]
        )
        #expect(try reopened.admit(fingerprint: "b", cost: 1, limits: limits, at: at(50)) == .notBefore(at(100)))
        #expect(try reopened.admit(fingerprint: "a", cost: 1, limits: limits, at: at(60)) == .admitted(remaining: 0))
        #expect(try reopened.admit(fingerprint: "a", cost: 1, limits: limits, at: at(70)) == .notBefore(at(86400)))
    }

    @Test func twoConnectionsNeverExceedOneQuota() throws {
        let path = self.directory.path("shared.sqlite")
        let stores = [try SQLiteKeyStateStore(path: path), try SQLiteKeyStateStore(path: path)]
        let limits = [RateLimit.calendar(250, per: .day)]
        let admitted = Mutex([0, 0])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            for attempt in 0..<300 {
                do {
                    let answer = try stores[index].admit(
                        fingerprint: "shared",
                        cost: 1,
                        limits: limits,
                        at: at(Int64(attempt))
                    )
                    if case .admitted = answer { admitted.withLock { $0[index] += 1 } }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(admitted.withLock { $0.reduce(0, +) } == 250)
    }

    @Test func twoProcessesNeverExceedOneQuota() async throws {
        let probe = try #require(
            BuiltProduct.named("StoreProbe"),
            "the StoreProbe executable is built next to the test bundle"
        )
        let path = self.directory.path("processes.sqlite")
        _ = try SQLiteKeyStateStore(path: path)  // create the schema once; the probes open it concurrently
        async let first = probe.run(["admit", path, "shared", "300", "\(at(5).nanosecondsSinceEpoch)"])
        async let second = probe.run(["admit", path, "shared", "300", "\(at(5).nanosecondsSinceEpoch)"])
        let outputs = try await [first, second]
        let counts = outputs.map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.allSatisfy { $0 != nil }, "probe output: \(outputs)")
        #expect(counts.compactMap { $0 }.reduce(0, +) == 250)
        let store = try SQLiteKeyStateStore(path: path)
        #expect(try store.remaining(fingerprint: "shared", limits: [.calendar(250, per: .day)], at: at(6)) == 0)
    }

    @Test func theFileHoldsFingerprintsOnly() throws {
        let key = APIKey("super-secret-key-material-123", label: "vt-1", limits: [.calendar(5, per: .day)])
        let path = self.directory.path("secret.sqlite")
        do {
            let store = try SQLiteKeyStateStore(path: path)
            _ = try store.admit(fingerprint: key.fingerprint, cost: 1, limits: key.limits, at: at(0))
            try store.setBlock(StoredBlock(reason: .invalid, until: at(10)), fingerprint: key.fingerprint)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(!key.isContained(in: String(decoding: bytes, as: UTF8.self)))
        #expect(String(decoding: bytes, as: UTF8.self).contains(key.fingerprint))
    }

    /// A rotator that starts on a store other runs used learns their usage: what each limit has left, and when a
    /// spent key is free (so a "don't wait" caller is told the ETA instead of waiting for the store to refuse).
    @Test func aNewRotatorStartsFromTheUsageInTheStore() throws {
        let path = self.directory.path("usage.sqlite")
        let limits: [RateLimit] = [.perMinute(2), .perDay(500)]
        let key = APIKey("store-secret-0123456789", label: "vt-1", limits: limits)
        let clock = TestClock()
        let first = KeyRotator(
            keys: [key],
            configuration: .init(strategy: .roundRobin, stateStore: try SQLiteKeyStateStore(path: path)),
            clock: clock
        )
        for _ in 0..<2 { first.tryAcquire().leaseOrNil?.report(.success(latency: .milliseconds(5))) }
        let second = KeyRotator(
            keys: [key],
            configuration: .init(strategy: .roundRobin, stateStore: try SQLiteKeyStateStore(path: path)),
            clock: clock
        )
        let statistics = second.statistics()
        #expect(statistics.keys[0].remaining.map(\.remaining) == [2, 498])  // the rolling minute is known by its ETA
        #expect(statistics.keys[0].nextAvailable == clock.now.advanced(by: .seconds(60)))
        if case .lease = second.tryAcquire() { Issue.record("the second run leased a key the first run spent") }
    }

    /// A key the last run left cooling down for a second is back a second later with its whole day: the store's
    /// refusal during the cooldown is about the block, not about the daily quota.
    @Test func aCooldownLeftInTheStoreSpendsNoQuota() throws {
        let path = self.directory.path("cooldown.sqlite")
        let key = APIKey("store-secret-0123456789", label: "vt-1", limits: [.perMinute(4), .perDay(500)])
        let clock = TestClock()
        let first = KeyRotator(
            keys: [key],
            configuration: .init(strategy: .roundRobin, stateStore: try SQLiteKeyStateStore(path: path)),
            clock: clock
        )
        first.tryAcquire().leaseOrNil?.report(.rateLimited(retryAfter: .seconds(1)))
        let second = KeyRotator(
            keys: [key],
            configuration: .init(strategy: .roundRobin, stateStore: try SQLiteKeyStateStore(path: path)),
            clock: clock
        )
        #expect(second.statistics().keys[0].remaining.map(\.remaining) == [4, 500])  // a 429 spends nothing
        #expect(second.statistics().keys[0].nextAvailable == clock.now.advanced(by: .seconds(1)))
        clock.advance(by: .seconds(1))
        #expect(second.tryAcquire().leaseOrNil != nil)
    }

    /// Two processes share a key at 2 per second. The first sends two requests that complete 0.3 s later; the
    /// second may not use the key at 1.0 s (the provider may have counted those requests as late as 0.3 s), only at 1.3 s.
    @Test func aCompletedRequestCountsFromItsCompletionForEveryProcess() throws {
        let path = self.directory.path("settle.sqlite")
        let key = APIKey("settle-secret-0123456789", label: "k", limits: [.perSecond(2)])
        let clock = TestClock()
        func rotator() throws -> KeyRotator<TestClock> { try processOn(path, key: key, clock: clock) }
        let first = try rotator()
        let second = try rotator()
        let leases = [first.tryAcquire().leaseOrNil, first.tryAcquire().leaseOrNil].compactMap { $0 }
        #expect(leases.count == 2)
        clock.advance(by: .milliseconds(300))
        for lease in leases { lease.report(.success(latency: .milliseconds(300))) }
        clock.advance(to: TestClock.defaultStart.advanced(by: .seconds(1)))
        #expect(second.tryAcquire().leaseOrNil == nil)
        clock.advance(to: TestClock.defaultStart.advanced(by: .milliseconds(1300)))
        #expect(second.tryAcquire().leaseOrNil != nil)
    }

    /// A process killed with requests in flight (`settleOutstanding()` from its signal cleanup): the store counts them
    /// from the instant it ended, so the next process waits a whole window from then; a reported lease is not moved.
    @Test func leasesStillOutWhenAProcessEndsCountFromItsEnd() throws {
        let path = self.directory.path("outstanding.sqlite")
        let key = APIKey("outstanding-secret-0123456789", label: "k", limits: [.perSecond(2)])
        let clock = TestClock()
        func rotator() throws -> KeyRotator<TestClock> { try processOn(path, key: key, clock: clock) }
        let dying = try rotator()
        let reported = try #require(dying.tryAcquire().leaseOrNil)
        _ = try #require(dying.tryAcquire().leaseOrNil)  // still out when the process ends
        reported.report(.success(latency: .zero))
        clock.advance(by: .milliseconds(400))
        dying.settleOutstanding()
        let next = try rotator()
        clock.advance(to: TestClock.defaultStart.advanced(by: .seconds(1)))
        #expect(next.tryAcquire().leaseOrNil != nil)  // the reported use left the window at 1.0 s
        #expect(next.tryAcquire().leaseOrNil == nil)  // the one still out counts from 0.4 s: the window is full
        clock.advance(to: TestClock.defaultStart.advanced(by: .milliseconds(1400)))
        #expect(next.tryAcquire().leaseOrNil != nil)
    }
}

/// A pool of `key` on the SQLite store at `path`, as one process would open it.
/// A process sharing the file at `path`, its key trusted from the start (these tests lease it twice before an answer).
private func processOn(_ path: String, key: APIKey, clock: TestClock) throws -> KeyRotator<TestClock> {
    var health = HealthPolicy()
    health.probesNewKeys = false
    return KeyRotator(
        keys: [key],
        configuration: .init(strategy: .roundRobin, health: health, stateStore: try SQLiteKeyStateStore(path: path)),
        clock: clock
    )
}

extension KeyRotator.AcquireResult {
    fileprivate var leaseOrNil: Lease? {
        if case .lease(let lease) = self { return lease }
        return nil
    }
}
