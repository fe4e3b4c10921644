import KeyRotation

/// When a fault strikes a key: never, always, on a deterministic pattern of its requests, or at random.
///
/// Request numbers count every request that carried the key, from 1 (429s and faults included).
public struct SimulatedOccurrence: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable {
        case never
        case always
        case every(Int)
        case probability(Double)
        case pattern([Bool])
        case after(Int)
        case requests(Set<Int>)
    }

    let wrapped: Wrapped

    /// Never.
    public static let never = Self(wrapped: .never)
    /// On every request.
    public static let always = Self(wrapped: .always)

    /// On every `n`th request: `.every(2)` strikes requests 2, 4, 6… ("every other request").
    public static func every(_ n: Int) -> Self {
        precondition(n >= 1, "every n requests needs n ≥ 1")
        return Self(wrapped: .every(n))
    }

    /// On each request with probability `p`, drawn from the provider's seeded generator.
    public static func probability(_ p: Double) -> Self {
        precondition((0...1).contains(p), "a probability lies in 0...1")
        return Self(wrapped: .probability(p))
    }

    /// Cycles through `pattern`: request `n` is struck when `pattern[(n - 1) % pattern.count]` is `true`.
    public static func pattern(_ pattern: [Bool]) -> Self {
        precondition(!pattern.isEmpty, "a pattern has at least one element")
        return Self(wrapped: .pattern(pattern))
    }

    /// On every request after the first `n`.
    public static func after(_ n: Int) -> Self {
        precondition(n >= 0, "after n requests needs n ≥ 0")
        return Self(wrapped: .after(n))
    }

    /// On the requests with these numbers (1-based).
    public static func requests(_ numbers: Set<Int>) -> Self {
        Self(wrapped: .requests(numbers))
    }

    /// Whether request number `number` is struck; draws from `random` only for ``probability(_:)``.
    func strikes(request number: Int, random: inout SplitMix64) -> Bool {
        switch self.wrapped {
        case .never: false
        case .always: true
        case .every(let n): number % n == 0
        case .probability(let p): random.nextUnitInterval() < p
        case .pattern(let pattern): pattern[(number - 1) % pattern.count]
        case .after(let n): number > n
        case .requests(let numbers): numbers.contains(number)
        }
    }

    public var description: String {
        switch self.wrapped {
        case .never: "never"
        case .always: "always"
        case .every(let n): "every \(n)"
        case .probability(let p): "p=\(p)"
        case .pattern(let pattern): "pattern \(pattern.map { $0 ? "x" : "." }.joined())"
        case .after(let n): "after \(n)"
        case .requests(let numbers): "requests \(numbers.sorted())"
        }
    }
}

extension SimulatedProvider {
    /// When a fault strikes; see ``SimulatedOccurrence``.
    public typealias Occurrence = SimulatedOccurrence
}
