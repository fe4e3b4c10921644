/// Whether and what a simulated 429 says in its `Retry-After` header (whole seconds, rounded up).
public struct SimulatedRetryAfter: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case flavourDefault
        case none
        case exact
        case fixed(Duration)
    }

    let wrapped: Wrapped

    /// What the flavour's real provider does: Nodit sends the exact wait; VirusTotal and Aptos send nothing.
    public static let flavourDefault = Self(wrapped: .flavourDefault)
    /// No `Retry-After` header.
    public static let none = Self(wrapped: .none)
    /// The exact time until the limit that refused the request admits one again, rounded up to whole seconds.
    public static let exact = Self(wrapped: .exact)

    /// Always `duration` (rounded up to whole seconds), whatever the limit's real wait.
    public static func fixed(_ duration: Duration) -> Self {
        precondition(duration >= .zero, "Retry-After is not negative")
        return Self(wrapped: .fixed(duration))
    }

    public var description: String {
        switch self.wrapped {
        case .flavourDefault: "flavour default"
        case .none: "none"
        case .exact: "exact"
        case .fixed(let duration): "fixed \(duration)"
        }
    }
}

extension SimulatedProvider {
    /// What a 429's `Retry-After` says; see ``SimulatedRetryAfter``.
    public typealias RetryAfter = SimulatedRetryAfter
}
