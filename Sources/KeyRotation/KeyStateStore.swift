/// Where key state lives when it must outlive the process or be shared between processes.
///
/// ``KeyRotator`` keeps its own view in memory and decides there first; a store, when configured, has the last
/// word: the rotator asks it to admit the chosen key (outside its lock), and a refusal (another process spent
/// the quota) updates the rotator's view and moves it to the next key. Implementations: in memory (the default,
/// `nil`), SQLite (`KeyRotationStore`, several processes on one machine), and a network store for many machines.
///
/// Stores identify keys by ``APIKey/fingerprint`` only; they never see key material.
public protocol KeyStateStore: Sendable {
    /// Atomically decides whether the key may spend `cost` units now under `limits`, and records the use if so.
    ///
    /// Every process that shares the store sees the same usage: two processes can never both take the last unit.
    /// - Throws: ``KeyStateStoreError`` when the store cannot be read or written.
    func admit(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission

    /// Gives back `cost` units of a use that did not count (a lease reported as not counted).
    func refund(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws

    /// Persists a key's health block (cooling down, invalid, quota exhausted) or clears it (`block == nil`).
    func setBlock(_ block: StoredBlock?, fingerprint: String) throws

    /// The persisted health blocks of these keys that are still in force at `now`.
    func blocks(fingerprints: [String], at now: Timestamp) throws -> [String: StoredBlock]

    /// Feeds what the server said about a key's quota (remaining units in the window that ends at `resetAt`).
    func observe(
        remaining: Int,
        resetAt: Timestamp?,
        fingerprint: String,
        limits: [RateLimit],
        at now: Timestamp
    ) throws

    /// The request of a use admitted at `acquiredAt` completed at `completedAt`: rolling windows and spacing count
    /// the use from there (the provider saw it somewhere in between). The default does nothing.
    func settle(
        fingerprint: String,
        cost: Int,
        acquiredAt: Timestamp,
        completedAt: Timestamp,
        limits: [RateLimit]
    ) throws

    /// What ``admit(fingerprint:cost:limits:at:)`` would answer now, recording nothing: how a rotator starting up
    /// learns the usage that other runs and processes left in the store. The default knows nothing (admitted).
    func peek(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission
}

extension KeyStateStore {
    public func settle(
        fingerprint: String,
        cost: Int,
        acquiredAt: Timestamp,
        completedAt: Timestamp,
        limits: [RateLimit]
    ) throws {}

    public func peek(fingerprint: String, cost: Int, limits: [RateLimit], at now: Timestamp) throws -> StoreAdmission {
        .admitted(remaining: nil)
    }

    public func observe(
        remaining: Int,
        resetAt: Timestamp?,
        fingerprint: String,
        limits: [RateLimit],
        at now: Timestamp
    ) throws {}
}

/// A store's answer to ``KeyStateStore/admit(fingerprint:cost:limits:at:)``.
public enum StoreAdmission: Hashable, Sendable {
    /// The use is recorded; `remaining` is what the tightest limit has left, if it counts uses.
    case admitted(remaining: Int?)
    /// Refused: the earliest instant the key could be admitted ( ``Timestamp/distantFuture`` if never).
    case notBefore(Timestamp)
}

/// A persisted health block: the key may not be used before `until`.
public struct StoredBlock: Hashable, Sendable, Codable {
    /// Why the key is blocked.
    public enum Reason: String, Hashable, Sendable, Codable {
        /// Rate limited (429): cooling down.
        case coolingDown
        /// Rejected credentials (401/403): quarantined.
        case invalid
        /// Quota spent until its window resets.
        case quotaExhausted
        /// The circuit is open after repeated transient failures.
        case circuitOpen
    }

    /// Why.
    public var reason: Reason
    /// Until when.
    public var until: Timestamp

    /// Creates a block.
    public init(reason: Reason, until: Timestamp) {
        self.reason = reason
        self.until = until
    }
}

extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(nanosecondsSinceEpoch: try decoder.singleValueContainer().decode(Int64.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.nanosecondsSinceEpoch)
    }
}

/// A key-state store that cannot do its job; the message names the store and what to do, never a key.
public struct KeyStateStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable { case unreadable, corrupt, busy, unavailable, schemaTooNew }
        let wrapped: Wrapped
        /// The store can't be opened or read (permissions, missing directory).
        public static let unreadable = Self(wrapped: .unreadable)
        /// The store's contents are damaged; it is never reset silently.
        public static let corrupt = Self(wrapped: .corrupt)
        /// Another process held the store past the busy timeout.
        public static let busy = Self(wrapped: .busy)
        /// A network store is out of reach.
        public static let unavailable = Self(wrapped: .unavailable)
        /// The store was written by a newer version of the SDK.
        public static let schemaTooNew = Self(wrapped: .schemaTooNew)

        public var description: String {
            switch self.wrapped {
            case .unreadable: "unreadable"
            case .corrupt: "corrupt"
            case .busy: "busy"
            case .unavailable: "unavailable"
            case .schemaTooNew: "schema too new"
            }
        }
    }

    /// What failed.
    public var code: Code
    /// What happened and what to do.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "key state store \(self.code): \(self.message)" }
}
