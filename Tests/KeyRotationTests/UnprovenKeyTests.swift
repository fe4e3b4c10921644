import KeyRotation
import KeyRotationTesting
import Testing

/// A key no answer has proven yet serves one request at a time: its first answer (anything but 401/403) proves it,
/// a 401 makes it unproven again, a server error proves nothing.
@Suite struct UnprovenKeyTests {
    @Test func aNewKeyServesOneRequestUntilItsFirstAnswer() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(), clock: clock)
        let first = rotator.tryAcquire().lease
        #expect(first != nil)
        // Out for at most the probe timeout (60 s), after which the request no longer holds the key.
        #expect(rotator.tryAcquire().notBefore == at(60))
        clock.advance(by: .milliseconds(100))
        first?.report(.success(latency: .milliseconds(100)))
        let leases = (0..<3).compactMap { _ in rotator.tryAcquire().lease }
        #expect(leases.count == 3)  // proven: the key carries as many requests as its limits allow
    }

    @Test func otherKeysServeCallersWhileANewKeyIsProbed() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a", "b"), configuration: .init(), clock: clock)
        let probes = (0..<2).compactMap { _ in rotator.tryAcquire().lease }
        #expect(Set(probes.map(\.keyID)) == ["a", "b"])
        #expect(rotator.tryAcquire().lease == nil)
        probes.first { $0.keyID == "b" }?.report(.success(latency: .zero))
        let more = (0..<3).compactMap { _ in rotator.tryAcquire().lease }
        #expect(more.map(\.keyID) == ["b", "b", "b"])
    }

    @Test func aRevokedKeyIsLeasedOnceThenQuarantined() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("bad", "good"), configuration: .init(), clock: clock)
        var leased: [KeyID: Int] = [:]
        var outstanding: [Lease] = []
        for _ in 0..<8 {
            guard let lease = rotator.tryAcquire().lease else { continue }
            leased[lease.keyID, default: 0] += 1
            outstanding.append(lease)
        }
        #expect(leased["bad"] == 1)
        for lease in outstanding { lease.report(lease.keyID == "bad" ? .invalidKey : .success(latency: .zero)) }
        for _ in 0..<8 { rotator.tryAcquire().lease.map { leased[$0.keyID, default: 0] += 1; $0.report(.success(latency: .zero)) } }
        #expect(leased["bad"] == 1)
        #expect(rotator.statistics().keys[0].state.name == "invalid")
    }

    @Test func aServerErrorProvesNothing() {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(), clock: clock)
        rotator.tryAcquire().lease?.report(.transientFailure)
        let second = rotator.tryAcquire().lease
        #expect(second != nil)
        #expect(rotator.tryAcquire().lease == nil)  // still unproven: one at a time
    }

    @Test func everyAnswerButA401ProvesTheKeyAndA401UnprovesIt() {
        for outcome in [Outcome.success(latency: .zero), .rateLimited(retryAfter: nil), .quotaExhausted(resetAt: at(60))] {
            var health = KeyHealth()
            #expect(!health.isProven)
            health.record(outcome, at: at(0))
            #expect(health.isProven, "\(outcome)")
            health.record(.invalidKey, at: at(1))
            #expect(!health.isProven, "\(outcome)")
        }
        var health = KeyHealth()
        health.record(.transientFailure, at: at(0))
        health.record(.abandoned, at: at(0))
        health.record(.notCounted, at: at(0))
        #expect(!health.isProven)
        health.restore(StoredBlock(reason: .coolingDown, until: at(5)))
        #expect(health.isProven)  // a cooldown in the store was the provider's answer to the key
    }

    @Test func keysKnownGoodSkipTheProbe() {
        var health = HealthPolicy()
        health.probesNewKeys = false
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(strategy: .roundRobin, health: health), clock: TestClock())
        #expect((0..<3).compactMap { _ in rotator.tryAcquire().lease }.count == 3)
    }
}

/// A caller with a short deadline is not refused at once because a new key's request is out: the answer may come
/// any moment, long before the 60 s bound, and frees the key.
@Suite struct UnprovenKeyDeadlineTests {
    @Test func aShortDeadlineWaitsForTheProbesAnswer() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(), clock: clock)
        let probe = try #require(rotator.tryAcquire().lease)
        let waiting = Task { try await rotator.acquire(deadline: clock.now.advanced(by: .seconds(5))) }
        #expect(await settle { rotator.statistics().waiters == 1 })
        clock.advance(by: .milliseconds(100))
        probe.report(.success(latency: .milliseconds(100)))
        let lease = try await waiting.value
        #expect(lease.keyID == "a")
    }

    @Test func aShortDeadlineStillEndsAtTheDeadline() async throws {
        let clock = TestClock()
        let rotator = KeyRotator(keys: keys("a"), configuration: .init(), clock: clock)
        let probe = try #require(rotator.tryAcquire().lease)
        let waiting = Task { try await rotator.acquire(deadline: clock.now.advanced(by: .seconds(5))) }
        #expect(await settle { rotator.statistics().waiters == 1 })
        clock.advance(by: .seconds(5))
        await #expect(throws: KeyRotatorError.self) { try await waiting.value }
        probe.report(.success(latency: .zero))
    }
}
