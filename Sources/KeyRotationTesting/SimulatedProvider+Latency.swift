import Foundation
import KeyRotation

/// How long the simulated provider takes to answer: slept on the provider's clock, outside any lock.
public struct SimulatedLatency: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case fixed(Duration)
        case uniform(ClosedRange<Duration>)
        case logNormal(median: Duration, sigma: Double)
    }

    let wrapped: Wrapped

    /// Answers at once (no sleep).
    public static let zero = Self(wrapped: .fixed(.zero))

    /// Always `duration`.
    public static func fixed(_ duration: Duration) -> Self {
        precondition(duration >= .zero, "a latency is not negative")
        return Self(wrapped: .fixed(duration))
    }

    /// Uniform over `range`, drawn from the seeded generator.
    public static func uniform(_ range: ClosedRange<Duration>) -> Self {
        precondition(range.lowerBound >= .zero, "a latency is not negative")
        return Self(wrapped: .uniform(range))
    }

    /// Log-normal around `median` with shape `sigma` (a long right tail, like real networks), clamped to four
    /// standard deviations, drawn from the seeded generator.
    public static func logNormal(median: Duration, sigma: Double = 0.5) -> Self {
        precondition(median >= .zero && sigma >= 0, "log-normal latency needs median ≥ 0 and sigma ≥ 0")
        return Self(wrapped: .logNormal(median: median, sigma: sigma))
    }

    /// One draw.
    func sample(using random: inout SplitMix64) -> Duration {
        switch self.wrapped {
        case .fixed(let duration):
            return duration
        case .uniform(let range):
            let low = range.lowerBound.nanoseconds
            let high = range.upperBound.nanoseconds
            if low == high { return range.lowerBound }
            let span = UInt64(high - low)
            let offset = span == .max ? random.next() : random.next() % (span + 1)
            return .nanoseconds(low + Int64(offset))
        case .logNormal(let median, let sigma):
            // Box–Muller: a standard normal from two uniforms.
            let u1 = max(random.nextUnitInterval(), .leastNormalMagnitude)
            let u2 = random.nextUnitInterval()
            let normal = min(4, max(-4, (-2 * Foundation.log(u1)).squareRoot() * cos(2 * .pi * u2)))
            let nanoseconds = Double(median.nanoseconds) * exp(sigma * normal)
            return .nanoseconds(Int64(min(nanoseconds, Double(Int64.max / 2))))
        }
    }

    public var description: String {
        switch self.wrapped {
        case .fixed(let duration): "\(duration)"
        case .uniform(let range): "uniform(\(range.lowerBound)...\(range.upperBound))"
        case .logNormal(let median, let sigma): "logNormal(median \(median), sigma \(sigma))"
        }
    }
}

extension SimulatedProvider {
    /// How long the provider takes to answer; see ``SimulatedLatency``.
    public typealias Latency = SimulatedLatency
}
