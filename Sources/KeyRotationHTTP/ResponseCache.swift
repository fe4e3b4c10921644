public import Foundation
import Synchronization

/// An in-memory cache whose entries expire after a time to live, bounded in entries and in bytes, evicting the
/// least recently used entry first.
///
/// Every operation takes one short lock and costs O(1), except ``removeExpired()`` (O(n)) and ``removeAll()``.
/// A hit reads the clock (outside the lock), looks the key up once and moves the entry to the front of the
/// recency list. An expired entry is never returned: the lookup that finds it removes it.
///
/// ## Bounds
/// ``Configuration/maximumEntries`` and ``Configuration/maximumBytes`` both hold after every ``set(_:for:ttl:)``:
/// the least recently used entries go until both are met. A value bigger than ``Configuration/maximumBytes`` on
/// its own is not cached (and replaces nothing: the key's previous entry is removed). Byte sizes are what the
/// caller says: the `byteSize` passed to ``set(_:for:byteSize:ttl:)``, or the cache's sizer (for `Data`, `count`).
///
/// ## Memory
/// Entries live in parallel slot arrays (key, value, expiry, link) threaded into a doubly linked list by index
/// (no node objects), with freed slots kept on a free list, plus a dictionary from key to slot index. Beyond the
/// payload (the key's and the value's own storage), an entry costs one slot and one dictionary bucket;
/// ``estimatedOverheadPerEntry`` gives the worst case for the cache's types. For `String` keys, `Data` values
/// and `ContinuousClock`: a 72-byte slot (16 key, 16 value, 16 expiry, 24 link) and a 24-byte bucket, so about
/// 104 bytes at full occupancy and 209 bytes in the worst case (just after the arrays grew); measured: 141 bytes
/// per entry at 400,000 entries. A `String` key's heap storage is shared by the dictionary and the slot, not
/// copied.
///
/// ## Speed
/// Measured in a release build on Linux x86-64, `String` keys of 45 bytes, `Data` values: a hit takes about
/// 140–210 ns when the caller's module specializes the cache and 310 ns unspecialized (called from another
/// module) with 1,000 entries; with 400,000 entries (cache misses in memory), 460 ns and 890 ns.
public final class ResponseCache<Key: Hashable & Sendable, Value: Sendable, C: Clock>: Sendable
where C.Duration == Duration {
    /// The cache's bounds and default time to live.
    public struct Configuration: Hashable, Sendable {
        /// How long an entry lives when ``ResponseCache/set(_:for:ttl:)`` gives no time to live. Default 5 minutes.
        public var defaultTTL: Duration = .seconds(300)
        /// The most entries the cache holds; at least 1. Default 1,024.
        public var maximumEntries: Int = 1_024 {
            willSet { precondition(newValue > 0, "maximumEntries must be at least 1") }
        }
        /// The most bytes of payload the cache holds, as reported by the sizes given to it. Default 64 MiB.
        public var maximumBytes: Int = 64 * 1_024 * 1_024 {
            willSet { precondition(newValue >= 0, "maximumBytes must not be negative") }
        }

        /// Creates a configuration; every argument has the default its field documents.
        public init(
            defaultTTL: Duration = .seconds(300),
            maximumEntries: Int = 1_024,
            maximumBytes: Int = 64 * 1_024 * 1_024
        ) {
            precondition(maximumEntries > 0, "maximumEntries must be at least 1")
            precondition(maximumBytes >= 0, "maximumBytes must not be negative")
            self.defaultTTL = defaultTTL
            self.maximumEntries = maximumEntries
            self.maximumBytes = maximumBytes
        }
    }

    /// A snapshot of the cache's counters and size.
    public struct Statistics: Hashable, Sendable {
        /// Lookups that found a live entry.
        public var hits: Int
        /// Lookups that found nothing or an expired entry.
        public var misses: Int
        /// Entries held now.
        public var entries: Int
        /// Bytes of payload held now.
        public var bytes: Int
        /// Entries removed to make room (bounds on entries or bytes).
        public var evictions: Int
        /// Entries removed because their time to live had passed (by a lookup, ``ResponseCache/removeExpired()``,
        /// or when one was next in line for eviction).
        public var expirations: Int

        /// Hits over lookups, from 0 to 1; 0 before the first lookup.
        public var hitRatio: Double {
            let lookups = self.hits + self.misses
            return lookups == 0 ? 0 : Double(self.hits) / Double(lookups)
        }
    }

    /// The bounds and default time to live.
    public let configuration: Configuration
    private let clock: C
    private let sizer: @Sendable (Value) -> Int
    private let state: Mutex<Storage>

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - configuration: Bounds and default time to live.
    ///   - clock: The clock that times entries out.
    ///   - sizer: The byte size of a value, for ``set(_:for:ttl:)``; called outside the lock.
    public init(
        configuration: Configuration = .init(),
        clock: C,
        sizer: @escaping @Sendable (Value) -> Int
    ) {
        self.configuration = configuration
        self.clock = clock
        self.sizer = sizer
        self.state = Mutex(Storage())
    }

    /// The worst-case memory, in bytes, an entry costs beyond its key's and value's own storage.
    ///
    /// One slot plus one dictionary bucket (key and index), at the lowest occupancy the arrays reach after they
    /// grow: half the slot array and 3/8 of the dictionary's buckets in use.
    public static var estimatedOverheadPerEntry: Int {
        let slot = Storage.slotStride
        let bucket = MemoryLayout<Key>.stride + MemoryLayout<Int>.stride
        return 2 * slot + (bucket * 8 + 2) / 3 + 1
    }

    /// The value cached for `key`, if it has not expired; an expired entry is removed.
    ///
    /// A hit makes the entry the most recently used.
    ///
    /// - Parameter key: The key.
    /// - Returns: The value, or `nil` on a miss.
    public func value(for key: Key) -> Value? {
        let now = self.clock.now
        return self.state.withLock { $0.value(for: key, at: now) }
    }

    /// Caches `value` for `key`, sized by the cache's sizer, replacing any previous entry.
    ///
    /// - Parameters:
    ///   - value: The value.
    ///   - key: The key.
    ///   - ttl: How long the entry lives; `nil` uses ``Configuration/defaultTTL``; zero or less caches nothing
    ///     (and removes the key's previous entry).
    public func set(_ value: Value, for key: Key, ttl: Duration? = nil) {
        self.set(value, for: key, byteSize: self.sizer(value), ttl: ttl)
    }

    /// Caches `value` for `key` with the byte size the caller gives, replacing any previous entry.
    ///
    /// A value bigger than ``Configuration/maximumBytes`` is not cached, and the key's previous entry is removed.
    ///
    /// - Parameters:
    ///   - value: The value.
    ///   - key: The key.
    ///   - byteSize: The value's size in bytes, counted against ``Configuration/maximumBytes`` (negative counts
    ///     as 0).
    ///   - ttl: How long the entry lives; `nil` uses ``Configuration/defaultTTL``; zero or less caches nothing
    ///     (and removes the key's previous entry).
    public func set(_ value: Value, for key: Key, byteSize: Int, ttl: Duration? = nil) {
        let ttl = ttl ?? self.configuration.defaultTTL
        let bytes = max(0, byteSize)
        let now = self.clock.now
        let cacheable = ttl > .zero && bytes <= self.configuration.maximumBytes
        let expiry = cacheable ? now.advanced(by: ttl) : now
        let configuration = self.configuration
        self.state.withLock { storage in
            guard cacheable else {
                _ = storage.remove(key)
                return
            }
            storage.insert(
                value,
                for: key,
                bytes: bytes,
                expiresAt: expiry,
                now: now,
                maximumEntries: configuration.maximumEntries,
                maximumBytes: configuration.maximumBytes
            )
        }
    }

    /// Removes the entry for `key`.
    ///
    /// - Parameter key: The key.
    /// - Returns: The value that was cached, even if expired, or `nil`.
    @discardableResult
    public func removeValue(for key: Key) -> Value? {
        self.state.withLock { $0.remove(key) }
    }

    /// Removes every entry; the counters are kept.
    public func removeAll() {
        let old = self.state.withLock { storage -> Storage in
            var fresh = Storage()
            fresh.counters = storage.counters
            swap(&storage, &fresh)
            return fresh
        }
        _ = old  // the entries are released outside the lock
    }

    /// Removes every expired entry.
    ///
    /// O(n) in the number of entries; call it now and then (a timer) to free memory that lookups would
    /// otherwise free only when they meet an expired entry.
    ///
    /// - Returns: How many entries were removed.
    @discardableResult
    public func removeExpired() -> Int {
        let now = self.clock.now
        return self.state.withLock { $0.removeExpired(at: now) }
    }

    /// A snapshot of the counters and size.
    public var statistics: Statistics {
        self.state.withLock { storage in
            Statistics(
                hits: storage.counters.hits,
                misses: storage.counters.misses,
                entries: storage.index.count,
                bytes: storage.bytes,
                evictions: storage.counters.evictions,
                expirations: storage.counters.expirations
            )
        }
    }

    /// How many entries the cache holds, expired ones included until they are removed.
    public var count: Int {
        self.state.withLock { $0.index.count }
    }
}

extension ResponseCache where Value == Data {
    /// Creates an empty cache of `Data` values sized by their `count`.
    ///
    /// - Parameters:
    ///   - configuration: Bounds and default time to live.
    ///   - clock: The clock that times entries out.
    public convenience init(configuration: Configuration = .init(), clock: C) {
        self.init(configuration: configuration, clock: clock, sizer: { $0.count })
    }
}

extension ResponseCache where C == ContinuousClock {
    /// Creates an empty cache timed by the continuous clock.
    ///
    /// - Parameters:
    ///   - configuration: Bounds and default time to live.
    ///   - sizer: The byte size of a value, for ``set(_:for:ttl:)``; called outside the lock.
    public convenience init(configuration: Configuration = .init(), sizer: @escaping @Sendable (Value) -> Int) {
        self.init(configuration: configuration, clock: ContinuousClock(), sizer: sizer)
    }
}

extension ResponseCache where C == ContinuousClock, Value == Data {
    /// Creates an empty cache of `Data` values, sized by their `count`, timed by the continuous clock.
    ///
    /// - Parameter configuration: Bounds and default time to live.
    public convenience init(configuration: Configuration = .init()) {
        self.init(configuration: configuration, clock: ContinuousClock(), sizer: { $0.count })
    }
}

// MARK: - Storage

/// A slot's place in the recency list (or the free list) and its size: plain integers, so the list is spliced
/// without touching the generic key, value or instant.
private struct Link {
    var previous: Int
    var next: Int
    var bytes: Int
}

extension ResponseCache {
    fileprivate struct Counters {
        var hits = 0
        var misses = 0
        var evictions = 0
        var expirations = 0
    }

    /// The lock-free part: a dictionary from key to slot and an intrusive recency list over the slots.
    ///
    /// Slots are laid out as parallel arrays (key, value, expiry, link) so that a hit copies only the value and
    /// splices only integers; `Data` is not a frozen type, so a slot struct holding it would be copied through
    /// value witnesses on every access. `head` is the most recently used slot, `tail` the least; `-1` is none.
    /// A free slot has a `nil` key and value, and its link's `next` chains the free list.
    fileprivate struct Storage {
        var index: [Key: Int] = [:]
        var keys: [Key?] = []
        var values: [Value?] = []
        var expiries: [C.Instant] = []
        var links: [Link] = []
        var head = -1
        var tail = -1
        var freeHead = -1
        var bytes = 0
        var counters = Counters()

        /// Bytes a slot takes in the parallel arrays.
        static var slotStride: Int {
            MemoryLayout<Key?>.stride + MemoryLayout<Value?>.stride + MemoryLayout<C.Instant>.stride
                + MemoryLayout<Link>.stride
        }

        mutating func value(for key: Key, at now: C.Instant) -> Value? {
            guard let slot = self.index[key] else {
                self.counters.misses += 1
                return nil
            }
            if self.expiries[slot] <= now {
                self.counters.misses += 1
                self.counters.expirations += 1
                self.release(slot, key: key)
                return nil
            }
            self.counters.hits += 1
            self.moveToFront(slot)
            return self.values[slot]
        }

        /// Inserts or replaces, then evicts from the tail until both bounds hold.
        mutating func insert(
            _ value: Value,
            for key: Key,
            bytes: Int,
            expiresAt: C.Instant,
            now: C.Instant,
            maximumEntries: Int,
            maximumBytes: Int
        ) {
            if let slot = self.index[key] {
                self.bytes += bytes - self.links[slot].bytes
                self.values[slot] = value
                self.expiries[slot] = expiresAt
                self.links[slot].bytes = bytes
                self.moveToFront(slot)
            } else {
                let slot = self.allocate(key: key, value: value, bytes: bytes, expiresAt: expiresAt)
                self.index[key] = slot
                self.bytes += bytes
                self.linkAtFront(slot)
            }
            // The new entry is at the front and fits on its own, so the loop never evicts it.
            while self.index.count > maximumEntries || self.bytes > maximumBytes, self.tail >= 0 {
                let victim = self.tail
                if self.expiries[victim] <= now {
                    self.counters.expirations += 1
                } else {
                    self.counters.evictions += 1
                }
                self.release(victim, key: self.keys[victim]!)
            }
        }

        mutating func remove(_ key: Key) -> Value? {
            guard let slot = self.index[key] else { return nil }
            let value = self.values[slot]
            self.release(slot, key: key)
            return value
        }

        mutating func removeExpired(at now: C.Instant) -> Int {
            var removed = 0
            var cursor = self.tail
            while cursor >= 0 {
                let previous = self.links[cursor].previous
                if self.expiries[cursor] <= now {
                    self.release(cursor, key: self.keys[cursor]!)
                    removed += 1
                }
                cursor = previous
            }
            self.counters.expirations += removed
            return removed
        }

        // MARK: Slots and links

        private mutating func allocate(key: Key, value: Value, bytes: Int, expiresAt: C.Instant) -> Int {
            let link = Link(previous: -1, next: -1, bytes: bytes)
            guard self.freeHead >= 0 else {
                self.keys.append(key)
                self.values.append(value)
                self.expiries.append(expiresAt)
                self.links.append(link)
                return self.links.count - 1
            }
            let slot = self.freeHead
            self.freeHead = self.links[slot].next
            self.keys[slot] = key
            self.values[slot] = value
            self.expiries[slot] = expiresAt
            self.links[slot] = link
            return slot
        }

        /// Unlinks the slot, drops it from the index, empties it and puts it on the free list.
        private mutating func release(_ slot: Int, key: Key) {
            self.unlink(slot)
            self.index.removeValue(forKey: key)
            self.bytes -= self.links[slot].bytes
            self.keys[slot] = nil
            self.values[slot] = nil
            self.links[slot] = Link(previous: -1, next: self.freeHead, bytes: 0)
            self.freeHead = slot
        }

        private mutating func unlink(_ slot: Int) {
            let previous = self.links[slot].previous
            let next = self.links[slot].next
            if previous >= 0 { self.links[previous].next = next } else { self.head = next }
            if next >= 0 { self.links[next].previous = previous } else { self.tail = previous }
        }

        private mutating func linkAtFront(_ slot: Int) {
            self.links[slot].previous = -1
            self.links[slot].next = self.head
            if self.head >= 0 { self.links[self.head].previous = slot }
            self.head = slot
            if self.tail < 0 { self.tail = slot }
        }

        private mutating func moveToFront(_ slot: Int) {
            guard self.head != slot else { return }
            self.unlink(slot)
            self.linkAtFront(slot)
        }
    }
}
