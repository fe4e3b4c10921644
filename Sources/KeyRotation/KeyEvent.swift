/// A change in a key's state, for logs and metrics: `for await event in rotator.events { … }`.
public struct KeyEvent: Hashable, Sendable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// The key's health changed to this state.
        case stateChanged(KeyHealth.State)
        /// A probe of a quarantined key or an open circuit was sent.
        case probing(KeyHealth.ProbeReason)
        /// The key joined the pool.
        case added
        /// The key left the pool.
        case removed
        /// The key's weight or limits changed.
        case reconfigured
        /// A shared store refused the key (another process spent it) until this instant.
        case refusedByStore(until: Timestamp)
        /// The shared store failed; the message says how.
        case storeFailed(String)
    }

    /// The key.
    public var keyID: KeyID
    /// What happened.
    public var kind: Kind
    /// When.
    public var at: Timestamp

    /// Creates an event.
    public init(keyID: KeyID, kind: Kind, at: Timestamp) {
        self.keyID = keyID
        self.kind = kind
        self.at = at
    }

    public var description: String {
        switch self.kind {
        case .stateChanged(let state): "key \(self.keyID): \(state)"
        case .probing(let reason):
            "key \(self.keyID): probing (\(reason == .invalid ? "was invalid" : "circuit half-open"))"
        case .added: "key \(self.keyID): added"
        case .removed: "key \(self.keyID): removed"
        case .reconfigured: "key \(self.keyID): reconfigured"
        case .refusedByStore(let until): "key \(self.keyID): spent elsewhere, not before \(until)"
        case .storeFailed(let message): "key \(self.keyID): store failed: \(message)"
        }
    }
}
