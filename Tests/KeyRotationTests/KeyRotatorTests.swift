import KeyRotationTesting
import Synchronization
import Testing

@testable import KeyRotation

@Suite struct KeyRotatorTests {
    @Test func classicRotatorServesFortyPerSecondFairly() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a", "b", "c", "d"),
            configuration: .init(strategy: .roundRobin(minimumDelay: .milliseconds(100)), health: .keysKnownGood),
            clock: clock
        )
        struct Tally {
            var perKey: [KeyID: Int] = [:]
            var perCaller: [Int: Int] = [:]
            var longestWait: Duration = .zero
            var total = 0
        }
        let tally = Locked(Tally())
        // The pool starts busy (a key just granted), so all 8 callers queue before the next grant.
        rotator.tryAcquire().lease?.report(.success(latency: .zero))
        let callers = (0..<8).map { caller in
            Task {
                while !Task.isCancelled {
                    let start = clock.now
                    guard let lease = try? await rotator.acquire() else { return }
                    let waited = start.duration(to: clock.now)
                    tally.withLock {
                        $0.perKey[lease.keyID, default: 0] += 1
                        $0.perCaller[caller, default: 0] += 1
                        $0.longestWait = max($0.longestWait, waited)
                        $0.total += 1
                    }
                    lease.report(.success(latency: .zero))
                }
            }
        }
        // The pool grants one key every 25 ms (100 ms / 4 keys): step from grant to grant, t = 0.025 … 3 s.
        while true {
            #expect(await settle { rotator.waiterCount == 8 && clock.sleeperCount >= 1 })
            guard let next = clock.nextDeadline, next <= at(3) else { break }
            clock.advance(to: next)
        }
        for caller in callers { caller.cancel() }
        for caller in callers { await caller.value }

        let result = tally.withLock { $0 }
        #expect(result.total == 120)
        #expect(Set(result.perKey.values) == [30])
        let perCaller = result.perCaller.values
        #expect(perCaller.count == 8)
        #expect(perCaller.max()! - perCaller.min()! <= 1, "\(result.perCaller.sorted { $0.key < $1.key })")
        #expect(result.longestWait <= .milliseconds(200))  // the fair share: 8 callers / 40 per s
        #expect(rotator.statistics().acquires == 121)
    }

    @Test func smoothWeightedInterleavesFiveOneOne() {
        var pool = keys("a", "b", "c")
        pool[0].weight = 5
        var machine = KeyRotator<TestClock>.StateMachine(
            keys: pool,
            strategy: .smoothWeighted,
            policy: .keysKnownGood,
            seed: 1,
            now: at(0)
        )
        var sequence = ""
        for _ in 0..<7 {
            guard case .grant(let grant) = machine.tryAcquire(cost: 1, at: at(0), respectingQueue: true) else {
                Issue.record("no grant")
                return
            }
            sequence += grant.material.id.rawValue
        }
        #expect(sequence == "aabacaa")
    }

    @Test func tenThousandWeightedPicksMatchTheShares() {
        var pool = keys("a", "b", "c", "d")
        for (index, weight) in [5, 3, 1, 1].enumerated() { pool[index].weight = weight }
        let rotator = KeyRotator(keys: pool, configuration: .init(strategy: .smoothWeighted, health: .keysKnownGood), clock: TestClock())
        var counts: [KeyID: Int] = [:]
        for _ in 0..<10_000 {
            guard let lease = rotator.tryAcquire().lease else { break }
            counts[lease.keyID, default: 0] += 1
            lease.report(.success(latency: .milliseconds(1)))
        }
        for (index, weight) in [5, 3, 1, 1].enumerated() {
            let share = Double(counts[pool[index].id] ?? 0) / 10_000
            #expect(abs(share - Double(weight) / 10) <= 0.01)
        }
    }

    @Test func dailyQuotaResetsExactlyAtMidnightUTC() {
        let clock = TestClock(start: at(86400 - 60))  // 23:59:00 UTC
        let rotator = KeyRotator(keys: keys("a", limits: [.perDay(2)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        #expect(rotator.tryAcquire().lease != nil)
        #expect(rotator.tryAcquire().lease != nil)
        #expect(rotator.tryAcquire().notBefore == at(86400))
        clock.advance(to: at(86400).advanced(by: .nanoseconds(-1)))
        #expect(rotator.tryAcquire().lease == nil)
        clock.advance(to: at(86400))
        #expect(rotator.tryAcquire().lease != nil)
    }

    /// Keys a and b, each used at most once a second.
    private static func twoKeysOneSecondApart(
        _ strategy: SelectionStrategy,
        _ clock: TestClock
    ) -> KeyRotator<TestClock> {
        KeyRotator(
            keys: keys("a", "b", limits: [.minimumSpacing(.seconds(1))]),
            configuration: .init(strategy: strategy, health: .keysKnownGood),
            clock: clock
        )
    }

    /// A caller avoiding a key never gets it, waiting if need be, while the key stays in the pool for others.
    @Test(arguments: SelectionStrategy.all)
    func anAvoidedKeyIsNeverHandedToThatCaller(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let rotator = Self.twoKeysOneSecondApart(strategy, clock)
        for _ in 0..<2 { rotator.tryAcquire().lease?.report(.success(latency: .zero)) }
        // Both keys are spaced out until t + 1 s: the caller waits, and gets b, never a.
        let waiter = Task { try await rotator.acquire(avoiding: ["a"], deadline: clock.now.advanced(by: .seconds(5))) }
        await settle { rotator.statistics().waiters == 1 }
        clock.advance(by: .seconds(1))
        let lease = try await waiter.value
        #expect(lease.keyID == "b")
        lease.report(.success(latency: .zero))
        #expect(rotator.tryAcquire().lease?.keyID == "a")  // a was left for everyone else
        await #expect(throws: KeyRotatorError.self) { _ = try await rotator.acquire(avoiding: ["a", "b"]) }
    }

    /// `acquireIfReady(avoiding:)` hands out a ready key outside the set, or nothing: never an avoided key, never
    /// a key while a caller waits in line.
    @Test(arguments: SelectionStrategy.all)
    func acquireIfReadyPassesOverAvoidedKeysAndNeverOvertakesAWaiter(strategy: SelectionStrategy) async throws {
        let clock = TestClock()
        let rotator = Self.twoKeysOneSecondApart(strategy, clock)
        let first = try #require(await rotator.acquireIfReady(avoiding: ["a"]))
        #expect(first.keyID == "b")
        first.report(.success(latency: .zero))
        #expect(await rotator.acquireIfReady(avoiding: ["a"]) == nil)  // b is spaced out, a is avoided
        #expect(await rotator.acquireIfReady(avoiding: ["a", "b"]) == nil)
        clock.advance(by: .milliseconds(500))
        let second = try #require(await rotator.acquireIfReady(avoiding: []))
        #expect(second.keyID == "a")
        second.report(.success(latency: .zero))
        // b is free at 1 s, a at 1.5 s. A caller that avoids b waits for a; at 1 s b is free, but a caller is in line.
        let waiter = Task { try await rotator.acquire(avoiding: ["b"], deadline: clock.now.advanced(by: .seconds(5))) }
        await settle { rotator.statistics().waiters == 1 }
        clock.advance(to: at(1))
        #expect(rotator.statistics().waiters == 1)
        #expect(await rotator.acquireIfReady(avoiding: []) == nil)
        clock.advance(to: at(1.5))
        let served = try await waiter.value
        #expect(served.keyID == "a")
        served.report(.success(latency: .zero))
        #expect(await rotator.acquireIfReady(avoiding: ["a"])?.keyID == "b")
    }

    @Test func retryAfterIsHonouredToTheInstant() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", "b"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        let first = rotator.tryAcquire().lease!
        #expect(first.keyID == "a")
        first.report(.rateLimited(retryAfter: .seconds(30)))
        for step in 0..<30 {
            clock.advance(to: at(Double(step)))
            let lease = rotator.tryAcquire().lease!
            #expect(lease.keyID == "b")
            lease.report(.success(latency: .zero))
        }
        clock.advance(to: at(30).advanced(by: .nanoseconds(-1)))
        var seen: Set<KeyID> = []
        for _ in 0..<4 {
            let lease = rotator.tryAcquire().lease!
            seen.insert(lease.keyID)
            lease.report(.success(latency: .zero))
        }
        #expect(seen == ["b"])
        clock.advance(to: at(30))
        for _ in 0..<4 {
            let lease = rotator.tryAcquire().lease!
            seen.insert(lease.keyID)
            lease.report(.success(latency: .zero))
        }
        #expect(seen == ["a", "b"])
    }

    @Test func invalidKeyRestsFiveMinutesThenGetsExactlyOneProbe() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", "b"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        rotator.tryAcquire().lease!.report(.invalidKey)
        for second in stride(from: 0.0, to: 300, by: 10) {
            clock.advance(to: at(second))
            let lease = rotator.tryAcquire().lease!
            #expect(lease.keyID == "b")
            lease.report(.success(latency: .zero))
        }
        clock.advance(to: at(300))
        var probes: [Lease] = []
        for _ in 0..<6 {
            let lease = rotator.tryAcquire().lease!
            if lease.keyID == "a" { probes.append(lease) } else { lease.report(.success(latency: .zero)) }
        }
        #expect(probes.count == 1)
        #expect(probes.first?.isProbe == true)
        probes.first?.report(.success(latency: .zero))
        var after: Set<KeyID> = []
        for _ in 0..<4 {
            let lease = rotator.tryAcquire().lease!
            after.insert(lease.keyID)
            lease.report(.success(latency: .zero))
        }
        #expect(after == ["a", "b"])
    }

    @Test func allKeysInvalidFailsAtOnceWithoutHanging() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", "b"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        rotator.tryAcquire().lease!.report(.invalidKey)
        rotator.tryAcquire().lease!.report(.invalidKey)
        #expect(rotator.tryAcquire().error?.code == .allKeysInvalid)
        let error = await #expect(throws: KeyRotatorError.self) { try await rotator.acquire() }
        #expect(error?.code == .allKeysInvalid)
        let empty = KeyRotator(keys: [], configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        #expect(empty.tryAcquire().error?.code == .noKeys)
    }

    @Test func deadlineThatCannotBeMetFailsAtOnceWithTheETA() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", limits: [.perMinute(1)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        _ = rotator.tryAcquire().lease!
        let error = await #expect(throws: KeyRotatorError.self) {
            try await rotator.acquire(deadline: at(30))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.eta == at(60))
        #expect(rotator.waiterCount == 0)
    }

    @Test func cancelledWaiterLosesNoSlotForOthers() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a", limits: [.minimumSpacing(.seconds(1))]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        _ = rotator.tryAcquire().lease!
        let first = Task { try await rotator.acquire() }
        #expect(await settle { rotator.waiterCount == 1 })
        let second = Task { try await rotator.acquire() }
        #expect(await settle { rotator.waiterCount == 2 })
        first.cancel()
        let error = await #expect(throws: KeyRotatorError.self) { try await first.value }
        #expect(error?.code == .cancelled)
        #expect(rotator.waiterCount == 1)
        #expect(await settle { clock.sleeperCount >= 1 })
        clock.advance(by: .seconds(1))
        let lease = try await second.value
        #expect(lease.keyID == "a")
        #expect(rotator.waiterCount == 0)
    }

    @Test func laterWaitersNeverOvertakeEarlierOnes() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", limits: [.perSecond(1)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        _ = rotator.tryAcquire().lease!
        let order = Locked<[Int]>([])
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<5 {
            tasks.append(
                Task {
                    _ = try await rotator.acquire()
                    order.withLock { $0.append(index) }
                }
            )
            #expect(await settle { rotator.waiterCount == index + 1 })
        }
        #expect(rotator.tryAcquire().lease == nil)  // tryAcquire doesn't jump the queue either
        for second in 1...5 {
            #expect(await settle { clock.sleeperCount >= 1 })
            clock.advance(to: at(Double(second)))
            #expect(await settle { order.withLock { $0.count } == second })
        }
        for task in tasks { try await task.value }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
    }

    @Test func limitChangeNeverOverAdmits() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", limits: [.perMinute(10)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        var admitted: [Timestamp] = []
        func drain() {
            while let lease = rotator.tryAcquire().lease { admitted.append(lease.acquiredAt) }
        }
        drain()
        #expect(admitted.count == 10)
        rotator.setLimits([.perMinute(5)], for: "a")
        drain()
        #expect(admitted.count == 10)
        clock.advance(by: .seconds(30))
        rotator.setLimits([.perMinute(20)], for: "a")
        drain()
        #expect(admitted.count == 20)
        rotator.setLimits([.perMinute(10)], for: "a")
        clock.advance(by: .seconds(31))  // t = 61: the 10 uses of t = 30 still fill the lowered limit
        drain()
        #expect(admitted.count == 20)
        clock.advance(by: .seconds(30))  // t = 91
        drain()
        // In any 60 s window: at most the largest limit in force (20), and after the change back, at most 10.
        for (index, start) in admitted.enumerated() {
            let inWindow = admitted[index...].prefix { $0 < start.advanced(by: .seconds(60)) }.count
            #expect(inWindow <= 20)
        }
        let late = admitted.filter { $0 >= at(61) }
        #expect(late.count == 10)
    }

    @Test func poolOfTenThousandKeysWorks() {
        let pool = (0..<10_000).map { APIKey("secret-\($0)", label: "k\($0)", limits: [.perMinute(1)]) }
        let rotator = KeyRotator(keys: pool, configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: TestClock())
        var seen = Set<KeyID>()
        for _ in 0..<10_000 {
            guard let lease = rotator.tryAcquire().lease else { break }
            seen.insert(lease.keyID)
            lease.report(.success(latency: .milliseconds(1)))
        }
        #expect(seen.count == 10_000)
        #expect(rotator.tryAcquire().notBefore == at(60))
        #expect(rotator.statistics().keys.count == 10_000)
    }

    @Test func concurrentHammeringNeverExceedsTheLimits() async {
        let rotator = KeyRotator(
            keys: keys(
                "a",
                "b",
                "c",
                limits: [.perDay(100), .tokenBucket(capacity: 150, refillInterval: .seconds(1))]
            ),
            configuration: .init(strategy: .mostRemainingQuota, health: .keysKnownGood),
            clock: TestClock()
        )
        let admitted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var count = 0
                    for attempt in 0..<2_000 {
                        if case .lease(let lease) = rotator.tryAcquire() {
                            count += 1
                            lease.report(attempt % 7 == 0 ? .transientFailure : .success(latency: .microseconds(50)))
                        }
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(admitted == 300)
        #expect(rotator.statistics().keys.allSatisfy { $0.uses == 100 })
    }

    @Test func notCountedGivesTheUnitBack() {
        let rotator = KeyRotator(keys: keys("a", limits: [.perDay(1)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: TestClock())
        rotator.tryAcquire().lease!.report(.notCounted)
        #expect(rotator.tryAcquire().lease != nil)
        #expect(rotator.tryAcquire().lease == nil)
    }

    /// A quota refusal the counts did not predict (the minute is not full here: another client used the key, or the
    /// HTTP stack resent a request unseen) rests the key until its 60 s window has turned over; refused again for a request
    /// sent after that, the daily quota is spent and the key is parked until 00:00 UTC.
    @Test func quotaExhaustedWithoutResetRestsAMinuteThenParksUntilTheLongestCalendarWindow() {
        let clock = TestClock(start: at(3630))
        let rotator = KeyRotator(
            keys: keys("a", limits: [.perMinute(4), .perDay(500)]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        rotator.tryAcquire().lease!.report(.quotaExhausted(resetAt: nil))
        #expect(rotator.tryAcquire().notBefore == at(3690))  // 4 in any 60 s: a full window later
        #expect(rotator.statistics().keys[0].remaining.map(\.remaining) == [3, 499])
        clock.advance(to: at(3690))
        rotator.tryAcquire().lease!.report(.quotaExhausted(resetAt: nil))
        #expect(rotator.tryAcquire().notBefore == at(86400))
        #expect(rotator.statistics().keys[0].remaining.map(\.remaining) == [3, 0])
    }

    @Test func quotaExhaustedWhileTheMinuteIsFullOnlyCoolsAMinute() {
        let clock = TestClock()
        let rotator = KeyRotator(
            keys: keys("a", limits: [.perMinute(4), .perDay(500)]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        var last: Lease?
        for _ in 0..<4 { last = rotator.tryAcquire().lease }
        last!.report(.quotaExhausted(resetAt: nil))
        #expect(rotator.tryAcquire().notBefore == at(60))
    }

    @Test func healthAwarePrefersTheFasterKeyAndShunsFastFailures() {
        let rotator = KeyRotator(
            keys: keys("fast", "slow", "broken"),
            configuration: .init(strategy: .healthAware, seed: 7),
            clock: TestClock()
        )
        var counts: [KeyID: Int] = [:]
        for _ in 0..<3_000 {
            let lease = rotator.tryAcquire().lease!
            counts[lease.keyID, default: 0] += 1
            switch lease.keyID {
            case "fast": lease.report(.success(latency: .milliseconds(10)))
            case "slow": lease.report(.success(latency: .milliseconds(200)))
            default: lease.report(.rateLimited(retryAfter: .zero))
            }
        }
        #expect(counts["fast", default: 0] > counts["slow", default: 0])
        #expect(counts["fast", default: 0] > counts["broken", default: 0] * 3)
    }

    @Test func eventsReportStateChanges() async {
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: TestClock())
        rotator.tryAcquire().lease!.report(.rateLimited(retryAfter: .seconds(5)))
        var iterator = rotator.events.makeAsyncIterator()
        let event = await iterator.next()
        #expect(event?.keyID == "a")
        #expect(event?.kind == .stateChanged(.coolingDown(until: at(5))))
    }
}

extension KeyRotator.Configuration {
    init(strategy: SelectionStrategy, seed: UInt64) {
        self.init(strategy: strategy)
        self.seed = seed
    }
}

@Suite struct KeyRotatorProviderBehaviourTests {
    /// VirusTotal's 429 QuotaExceededError names no window. Four requests in flight all refused: the key rests a
    /// minute (the minute window may be the one that is full); the next refusal, for a request leased after that,
    /// means the day's quota is spent: the key is parked until 00:00 UTC instead of being retried every minute.
    @Test func repeatedQuotaRefusalsParkTheKeyForTheDay() {
        let clock = TestClock(start: at(3600))
        let rotator = KeyRotator(
            keys: keys("a", limits: [.perMinute(4), .perDay(500)]),
            configuration: .init(strategy: .roundRobin, health: .keysKnownGood),
            clock: clock
        )
        let inFlight = (0..<4).compactMap { _ in rotator.tryAcquire().lease }
        #expect(inFlight.count == 4)
        clock.advance(by: .milliseconds(300))
        for lease in inFlight { lease.report(.quotaExhausted(resetAt: nil)) }
        // The minute window, from the end of the refused requests (a use counts from its completion).
        #expect(rotator.tryAcquire().notBefore == at(3660.3))
        clock.advance(to: at(3660.3))
        let retry = rotator.tryAcquire().lease!
        clock.advance(by: .milliseconds(300))
        retry.report(.quotaExhausted(resetAt: nil))
        #expect(rotator.tryAcquire().notBefore == at(86400))
    }

    /// A use counts from the latest instant the provider can have seen it: the end of the request. Two requests
    /// leased at once at 2 per second finish at 0.2 s and 0.45 s; the next use is allowed at 1.2 s, not 1.0 s.
    @Test func rollingWindowsCountAUseFromItsCompletion() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", limits: [.perSecond(2)]), configuration: .init(strategy: .roundRobin, health: .keysKnownGood), clock: clock)
        let first = rotator.tryAcquire().lease!
        let second = rotator.tryAcquire().lease!
        clock.advance(by: .milliseconds(200))
        first.report(.success(latency: .milliseconds(200)))
        clock.advance(by: .milliseconds(250))
        second.report(.success(latency: .milliseconds(450)))
        #expect(rotator.tryAcquire().notBefore == at(1.2))
        clock.advance(to: at(1.2))
        #expect(rotator.tryAcquire().lease != nil)
        #expect(rotator.tryAcquire().notBefore == at(1.45))
    }
}
