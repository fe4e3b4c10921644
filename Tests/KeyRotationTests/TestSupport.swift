import KeyRotation
import KeyRotationTesting

/// 2026-01-01 00:00:00 UTC plus `seconds`.
func at(_ seconds: Double) -> Timestamp {
    TestClock.defaultStart.advanced(by: .nanoseconds(Int64((seconds * 1e9).rounded())))
}

func keys(_ names: String..., limits: [RateLimit] = []) -> [APIKey] {
    names.map { APIKey("secret-\($0)-0123456789abcdef", label: $0, limits: limits) }
}

/// Yields until `condition` holds; bounded, never sleeps on the wall clock.
@discardableResult
func settle(maximumYields: Int = 200_000, _ condition: () -> Bool) async -> Bool {
    for _ in 0..<maximumYields {
        if condition() { return true }
        await Task.yield()
    }
    return condition()
}

extension KeyRotator.AcquireResult {
    var lease: Lease? {
        if case .lease(let lease) = self { return lease }
        return nil
    }

    var notBefore: C.Instant? {
        if case .notBefore(let instant) = self { return instant }
        return nil
    }

    var error: KeyRotatorError? {
        if case .unavailable(let error) = self { return error }
        return nil
    }
}

extension HealthPolicy {
    /// The defaults, with keys trusted from the start (``HealthPolicy/probesNewKeys`` off): for tests of pacing and
    /// limits that lease a fresh key several times before any answer.
    static var keysKnownGood: Self {
        var policy = Self()
        policy.probesNewKeys = false
        return policy
    }
}
