/// A key handed out by a ``KeyRotator`` for one request. Report how the request went with ``report(_:)``.
///
/// The use is counted when the lease is taken, so a lease dropped without a report still counts as a use
/// (never under-counting a quota); report ``Outcome/notCounted`` to give the units back when nothing was sent.
public struct Lease: Sendable {
    let material: KeyMaterial
    /// Quota units this lease spent.
    public let cost: Int
    /// When the lease was taken (UTC).
    public let acquiredAt: Timestamp
    /// Whether this is the single probe of a quarantined key or a half-open circuit.
    public let isProbe: Bool
    @usableFromInline let slot: Int
    @usableFromInline let generation: UInt64
    /// The pool's serial number of this lease: orders it against refusals and blocks recorded at the same instant.
    @usableFromInline let serial: UInt64
    @usableFromInline let reporter: RotatorEngine

    init(
        material: KeyMaterial,
        cost: Int,
        acquiredAt: Timestamp,
        isProbe: Bool,
        slot: Int,
        generation: UInt64,
        serial: UInt64,
        reporter: RotatorEngine
    ) {
        self.material = material
        self.cost = cost
        self.acquiredAt = acquiredAt
        self.isProbe = isProbe
        self.slot = slot
        self.generation = generation
        self.serial = serial
        self.reporter = reporter
    }

    /// The key's public id.
    public var keyID: KeyID { self.material.id }
    /// The key material; only the HTTP layer reads it, to apply the key to a request.
    package var secret: String { self.material.secret }
    /// The key's fingerprint (what stores keep).
    public var fingerprint: String { self.material.fingerprint }

    /// Tells the rotator how the request went: updates the key's health, limits and latency.
    @inlinable
    public func report(_ outcome: Outcome) { self.reporter.report(self, outcome) }
}

extension Lease: CustomStringConvertible {
    public var description: String { "Lease(\(self.keyID), cost: \(self.cost)\(self.isProbe ? ", probe" : ""))" }
}
