import Foundation
import KeyRotation
import Synchronization

/// The client's in-process state: the in-memory answer cache (TTL + least recently used), the lookups in flight
/// (single-flight by ``IOC/cacheKey``) and the counters. One `Mutex` each; nothing awaits under a lock.
final class LookupMemory: Sendable {
    /// A cached answer: a report body or a "not found".
    struct Entry: Sendable {
        var payload: Data
        var isNotFound: Bool
        var fetchedAt: Timestamp
        var keyID: KeyID?
        var expiresAt: Timestamp?
        var lastUse: UInt64
    }

    struct Counters: Sendable {
        var lookups = 0
        var upstream = 0
        var cacheHits = 0
        var failures = 0
    }

    private struct Cache: Sendable {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    let capacity: Int
    private let cache = Mutex(Cache())
    private let flights = Mutex([String: Task<LookupResult, Never>]())
    let counters = Mutex(Counters())

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The entry for `key` if it is still fresh at `now`; marks it used.
    func entry(for key: String, at now: Timestamp) -> Entry? {
        self.cache.withLock { cache in
            guard var entry = cache.entries[key] else { return nil }
            if let expiry = entry.expiresAt, expiry <= now {
                cache.entries[key] = nil
                return nil
            }
            cache.tick &+= 1
            entry.lastUse = cache.tick
            cache.entries[key] = entry
            return entry
        }
    }

    /// Stores an answer, evicting the least recently used entries beyond the capacity.
    func store(_ entry: Entry, for key: String) {
        guard self.capacity > 0 else { return }
        self.cache.withLock { cache in
            cache.tick &+= 1
            var entry = entry
            entry.lastUse = cache.tick
            cache.entries[key] = entry
            while cache.entries.count > self.capacity {
                guard let oldest = cache.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key else { break }
                cache.entries[oldest] = nil
            }
        }
    }

    func removeAll() {
        self.cache.withLock { $0.entries.removeAll() }
    }

    var count: Int { self.cache.withLock { $0.entries.count } }

    /// Runs `operation` for `key` unless a run for the same key is in flight, whose result is shared instead.
    func shared(
        _ key: String,
        _ operation: @escaping @Sendable () async -> LookupResult
    ) async -> LookupResult {
        let (task, isOwner) = self.flights.withLock { flights -> (Task<LookupResult, Never>, Bool) in
            if let running = flights[key] { return (running, false) }
            let task = Task { await operation() }
            flights[key] = task
            return (task, true)
        }
        let result = await task.value
        if isOwner { self.flights.withLock { _ = $0.removeValue(forKey: key) } }
        return result
    }

    /// Lookups in flight now.
    var inFlight: Int { self.flights.withLock { $0.count } }
}
