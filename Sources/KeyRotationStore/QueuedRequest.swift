public import KeyRotation

/// A request that could not run yet, waiting in a ``RequestQueue`` for its ETA.
public struct QueuedRequest: Hashable, Sendable, Identifiable {
    /// The queue's identifier for the item.
    public var id: Int64
    /// What kind of request it is (for instance `vt.lookup`).
    public var kind: String
    /// What to request (for instance the IOC text); with ``kind``, unique in the queue.
    public var payload: String
    /// The earliest instant worth trying it.
    public var eta: Timestamp
    /// When it was first queued.
    public var enqueuedAt: Timestamp
    /// How many times it was rescheduled or claimed.
    public var attempts: Int

    /// Creates an item (the queue makes them; tests may too).
    public init(id: Int64, kind: String, payload: String, eta: Timestamp, enqueuedAt: Timestamp, attempts: Int = 0) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.eta = eta
        self.enqueuedAt = enqueuedAt
        self.attempts = attempts
    }
}
