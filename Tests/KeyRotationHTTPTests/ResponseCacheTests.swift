import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

private typealias Cache = ResponseCache<String, Data, TestClock>

private func cache(
    _ clock: TestClock,
    ttl: Duration = .seconds(60),
    entries: Int = 100,
    bytes: Int = 1_000_000
) -> Cache {
    Cache(configuration: .init(defaultTTL: ttl, maximumEntries: entries, maximumBytes: bytes), clock: clock)
}

private func payload(_ count: Int) -> Data {
    Data(repeating: 7, count: count)
}

@Suite struct ResponseCacheTests {
    @Test func entryLivesUntilExactlyItsTTL() {
        let clock = TestClock()
        let cache = cache(clock)
        cache.set(payload(3), for: "a", ttl: .seconds(10))
        clock.advance(by: .seconds(10) - .nanoseconds(1))
        #expect(cache.value(for: "a") == payload(3))
        clock.advance(by: .nanoseconds(1))
        #expect(cache.value(for: "a") == nil)
        #expect(cache.count == 0)
        let statistics = cache.statistics
        #expect(statistics.expirations == 1)
        #expect(statistics.bytes == 0)
    }

    @Test func nilTTLUsesTheConfiguredDefault() {
        let clock = TestClock()
        let cache = cache(clock, ttl: .seconds(5))
        cache.set(payload(1), for: "a")
        clock.advance(by: .seconds(5) - .nanoseconds(1))
        #expect(cache.value(for: "a") != nil)
        clock.advance(by: .nanoseconds(1))
        #expect(cache.value(for: "a") == nil)
    }

    @Test func zeroTTLCachesNothingAndDropsThePreviousEntry() {
        let clock = TestClock()
        let cache = cache(clock)
        cache.set(payload(1), for: "a")
        cache.set(payload(2), for: "a", ttl: .zero)
        #expect(cache.value(for: "a") == nil)
        cache.set(payload(2), for: "b", ttl: .seconds(-1))
        #expect(cache.count == 0)
    }

    @Test func leastRecentlyUsedEntryIsEvictedWhenEntriesAreFull() {
        let clock = TestClock()
        let cache = cache(clock, entries: 3)
        for key in ["a", "b", "c"] { cache.set(payload(1), for: key) }
        cache.set(payload(1), for: "d")
        #expect(cache.value(for: "a") == nil)
        #expect(cache.value(for: "b") != nil)
        #expect(cache.value(for: "c") != nil)
        #expect(cache.value(for: "d") != nil)
        #expect(cache.statistics.evictions == 1)
        #expect(cache.count == 3)
    }

    @Test func lookupRefreshesRecency() {
        let clock = TestClock()
        let cache = cache(clock, entries: 3)
        for key in ["a", "b", "c"] { cache.set(payload(1), for: key) }
        #expect(cache.value(for: "a") != nil)  // now b is the least recently used
        cache.set(payload(1), for: "d")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") != nil)
        #expect(cache.value(for: "c") != nil)
        #expect(cache.value(for: "d") != nil)
    }

    @Test func replacingRefreshesRecencyAndSize() {
        let clock = TestClock()
        let cache = cache(clock, entries: 2)
        cache.set(payload(10), for: "a")
        cache.set(payload(10), for: "b")
        cache.set(payload(4), for: "a")  // b is now the least recently used
        #expect(cache.statistics.bytes == 14)
        cache.set(payload(1), for: "c")
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == payload(4))
        #expect(cache.statistics.bytes == 5)
    }

    @Test func leastRecentlyUsedEntriesAreEvictedUntilBytesFit() {
        let clock = TestClock()
        let cache = cache(clock, bytes: 100)
        cache.set(payload(40), for: "a")
        cache.set(payload(30), for: "b")
        cache.set(payload(20), for: "c")
        #expect(cache.statistics.bytes == 90)
        cache.set(payload(45), for: "d")  // 135: a goes (95)
        #expect(cache.value(for: "a") == nil)
        #expect(cache.statistics.bytes == 95)
        #expect(cache.value(for: "b") != nil)  // most recent first: b, d, c
        cache.set(payload(50), for: "e")  // 145: c goes (125), then d (80)
        #expect(cache.value(for: "c") == nil)
        #expect(cache.value(for: "d") == nil)
        #expect(cache.value(for: "b") != nil)
        #expect(cache.value(for: "e") != nil)
        let statistics = cache.statistics
        #expect(statistics.bytes == 80)
        #expect(statistics.entries == 2)
        #expect(statistics.evictions == 3)
    }

    @Test func explicitByteSizeOverridesTheSizer() {
        let clock = TestClock()
        let cache = cache(clock, bytes: 100)
        cache.set(payload(1), for: "a", byteSize: 60)
        cache.set(payload(1), for: "b", byteSize: 60)
        #expect(cache.value(for: "a") == nil)
        #expect(cache.statistics.bytes == 60)
    }

    @Test func customSizerCountsBytes() {
        let clock = TestClock()
        let cache = ResponseCache<Int, String, TestClock>(
            configuration: .init(maximumBytes: 10),
            clock: clock,
            sizer: { $0.utf8.count }
        )
        cache.set("12345", for: 1)
        cache.set("123456", for: 2)
        #expect(cache.value(for: 1) == nil)
        #expect(cache.value(for: 2) == "123456")
        #expect(cache.statistics.bytes == 6)
    }

    @Test func valueBiggerThanTheByteBoundIsNotCached() {
        let clock = TestClock()
        let cache = cache(clock, bytes: 100)
        cache.set(payload(50), for: "small")
        cache.set(payload(10), for: "big")
        cache.set(payload(101), for: "big")  // too big: not cached, replaces nothing, evicts nothing
        #expect(cache.value(for: "big") == nil)
        #expect(cache.value(for: "small") != nil)
        let statistics = cache.statistics
        #expect(statistics.entries == 1)
        #expect(statistics.bytes == 50)
        #expect(statistics.evictions == 0)
        cache.set(payload(100), for: "exact")  // exactly the bound fits, evicting the rest
        #expect(cache.value(for: "exact") != nil)
        #expect(cache.value(for: "small") == nil)
    }

    @Test func statisticsCountHitsMissesAndRatio() {
        let clock = TestClock()
        let cache = cache(clock)
        #expect(cache.statistics.hitRatio == 0)
        cache.set(payload(8), for: "a")
        _ = cache.value(for: "a")
        _ = cache.value(for: "a")
        _ = cache.value(for: "a")
        _ = cache.value(for: "b")
        let statistics = cache.statistics
        #expect(statistics.hits == 3)
        #expect(statistics.misses == 1)
        #expect(statistics.hitRatio == 0.75)
        #expect(statistics.entries == 1)
        #expect(statistics.bytes == 8)
    }

    @Test func removeExpiredRemovesOnlyExpiredEntries() {
        let clock = TestClock()
        let cache = cache(clock)
        cache.set(payload(1), for: "a", ttl: .seconds(1))
        cache.set(payload(2), for: "b", ttl: .seconds(2))
        cache.set(payload(3), for: "c", ttl: .seconds(3))
        cache.set(payload(4), for: "d", ttl: .seconds(4))
        clock.advance(by: .seconds(2))
        #expect(cache.removeExpired() == 2)
        #expect(cache.removeExpired() == 0)
        let statistics = cache.statistics
        #expect(statistics.entries == 2)
        #expect(statistics.bytes == 7)
        #expect(statistics.expirations == 2)
        #expect(cache.value(for: "c") != nil)
        #expect(cache.value(for: "d") != nil)
    }

    @Test func removeValueAndRemoveAll() {
        let clock = TestClock()
        let cache = cache(clock)
        cache.set(payload(1), for: "a")
        cache.set(payload(2), for: "b")
        #expect(cache.removeValue(for: "a") == payload(1))
        #expect(cache.removeValue(for: "a") == nil)
        #expect(cache.statistics.bytes == 2)
        _ = cache.value(for: "b")
        cache.removeAll()
        let statistics = cache.statistics
        #expect(statistics.entries == 0)
        #expect(statistics.bytes == 0)
        #expect(statistics.hits == 1)
        cache.set(payload(3), for: "c")
        #expect(cache.value(for: "c") == payload(3))
    }

    @Test func freedSlotsAreReusedAndTheListStaysConsistent() {
        let clock = TestClock()
        let cache = cache(clock, entries: 8)
        // Churn through many keys; the model is a plain array in recency order.
        var model: [String] = []
        for step in 0..<500 {
            let key = "k\((step * 7) % 13)"
            switch step % 4 {
            case 0, 1:
                cache.set(payload(1), for: key)
                model.removeAll { $0 == key }
                model.insert(key, at: 0)
                if model.count > 8 { model.removeLast() }
            case 2:
                let hit = cache.value(for: key) != nil
                #expect(hit == model.contains(key))
                if hit {
                    model.removeAll { $0 == key }
                    model.insert(key, at: 0)
                }
            default:
                _ = cache.removeValue(for: key)
                model.removeAll { $0 == key }
            }
            #expect(cache.count == model.count)
        }
        #expect(cache.statistics.bytes == model.count)
    }

    @Test func overheadPerEntryIsUnderOneKilobyte() {
        #expect(Cache.estimatedOverheadPerEntry <= 1_024)
        #expect(ResponseCache<String, Data, ContinuousClock>.estimatedOverheadPerEntry <= 1_024)
    }

    @Test func continuousClockConvenienceInit() {
        let cache = ResponseCache<String, Data, ContinuousClock>(configuration: .init(defaultTTL: .seconds(3600)))
        cache.set(payload(2), for: "a")
        #expect(cache.value(for: "a") == payload(2))
    }
}
