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
/// Entries live in one array of slots linked into a doubly linked list by index (no node objects), with freed
/// slots kept on a free list, plus a dictionary from key to slot index. Beyond the payload (the key's and the
/// value's own storage), an entry costs one slot and one dictionary bucket; ``estimatedOverheadPerEntry`` gives
/// the worst case for the cache's types. For `String` keys, `Data` values and `ContinuousClock` it is about
/// 250 bytes (a 72-byte slot and a 24-byte bucket, doubled for the arrays' spare capacity after growth); in the
/// steady state it is nearer 105 bytes. A `String` key's heap storage is shared by the dictionary and the slot,
/// not copied.
public final class ResponseCache<Key: Hashable & Sendable, Value: Sendable, C: Clock>: Sendable
where C.Duration == Duration {
    /// The cache's bounds and default time to live.
    public struct Configuration: Hashable, Sendable {
        /// How long an entry lives when ``ResponseCache/set(_:for:ttl:)`` gives no time to live. Default 5 minutes.
        public var defaultTTL: Duration = .seconds(300)
        /// The most entries the cache holds; at least 1. Default 1,024.
        public var maximumEntries: Int = 1_024
        /// The most bytes of payload the cache holds, as reported by the sizes given to it. Default 64 MiB.
        public var maximumBytes: Int = 64 * 1_024 * 1_024

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
        let slot = MemoryLayout<Slot>.stride
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

extension ResponseCache {
    /// One entry, or a free slot (`key` and `value` `nil`, `next` links the free list).
    fileprivate struct Slot {
        var key: Key?
        var value: Value?
        var expiresAt: C.Instant
        var bytes: Int
        var previous: Int
        var next: Int
    }

    fileprivate struct Counters {
        var hits = 0
        var misses = 0
        var evictions = 0
        var expirations = 0
    }

    /// The lock-free part: a dictionary from key to slot and an intrusive recency list over the slots.
    ///
    /// `head` is the most recently used entry, `tail` the least; `-1` is "none".
    fileprivate struct Storage {
        var index: [Key: Int] = [:]
        var slots: [Slot] = []
        var head = -1
        var tail = -1
        var freeHead = -1
        var bytes = 0
        var counters = Counters()

        mutating func value(for key: Key, at now: C.Instant) -> Value? {
            guard let slot = self.index[key] else {
                self.counters.misses += 1
                return nil
            }
            if self.slots[slot].expiresAt <= now {
                self.counters.misses += 1
                self.counters.expirations += 1
                _ = self.release(slot, key: key)
                return nil
            }
            self.counters.hits += 1
            self.moveToFront(slot)
            return self.slots[slot].value
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
                self.bytes += bytes - self.slots[slot].bytes
                self.slots[slot].value = value
                self.slots[slot].bytes = bytes
                self.slots[slot].expiresAt = expiresAt
                self.moveToFront(slot)
            } else {
                let slot = self.allocate(
                    Slot(key: key, value: value, expiresAt: expiresAt, bytes: bytes, previous: -1, next: -1)
                )
                self.index[key] = slot
                self.bytes += bytes
                self.linkAtFront(slot)
            }
            // The new entry is at the front and fits on its own, so the loop never evicts it.
            while self.index.count > maximumEntries || self.bytes > maximumBytes, self.tail >= 0 {
                let victim = self.tail
                if self.slots[victim].expiresAt <= now {
                    self.counters.expirations += 1
                } else {
                    self.counters.evictions += 1
                }
                _ = self.release(victim, key: self.slots[victim].key!)
            }
        }

        mutating func remove(_ key: Key) -> Value? {
            guard let slot = self.index[key] else { return nil }
            return self.release(slot, key: key)
        }

        mutating func removeExpired(at now: C.Instant) -> Int {
            var removed = 0
            var cursor = self.tail
            while cursor >= 0 {
                let previous = self.slots[cursor].previous
                if self.slots[cursor].expiresAt <= now {
                    _ = self.release(cursor, key: self.slots[cursor].key!)
                    removed += 1
                }
                cursor = previous
            }
            self.counters.expirations += removed
            return removed
        }

        // MARK: Slots and links

        private mutating func allocate(_ slot: Slot) -> Int {
            if self.freeHead >= 0 {
                let index = self.freeHead
                self.freeHead = self.slots[index].next
                self.slots[index] = slot
                return index
            }
            self.slots.append(slot)
            return self.slots.count - 1
        }

        /// Unlinks the slot, drops it from the index and puts it on the free list; returns its value.
        private mutating func release(_ slot: Int, key: Key) -> Value? {
            self.unlink(slot)
            self.index.removeValue(forKey: key)
            self.bytes -= self.slots[slot].bytes
            let value = self.slots[slot].value
            self.slots[slot].key = nil
            self.slots[slot].value = nil
            self.slots[slot].bytes = 0
            self.slots[slot].next = self.freeHead
            self.freeHead = slot
            return value
        }

        private mutating func unlink(_ slot: Int) {
            let previous = self.slots[slot].previous
            let next = self.slots[slot].next
            if previous >= 0 { self.slots[previous].next = next } else { self.head = next }
            if next >= 0 { self.slots[next].previous = previous } else { self.tail = previous }
            self.slots[slot].previous = -1
            self.slots[slot].next = -1
        }

        private mutating func linkAtFront(_ slot: Int) {
            self.slots[slot].previous = -1
            self.slots[slot].next = self.head
            if self.head >= 0 { self.slots[self.head].previous = slot }
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
