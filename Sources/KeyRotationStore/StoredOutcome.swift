public import KeyRotation

/// A key's last recorded outcome.
public struct StoredOutcome: Hashable, Sendable {
    /// The outcome's label, as the caller recorded it.
    public var outcome: String
    /// When it happened.
    public var at: Timestamp

    /// Creates a record.
    public init(outcome: String, at: Timestamp) {
        self.outcome = outcome
        self.at = at
    }
}
