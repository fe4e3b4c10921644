import KeyRotation

let rotator = KeyRotator(
    keys: [APIKey("s1", label: "a", limits: [.tokenBucket(capacity: 1_000_000_000, refillInterval: .nanoseconds(1))])],
    configuration: .init(strategy: .roundRobin)
)
let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1])! : 5_000_000
for round in 0..<5 {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations {
        if case .lease(let lease) = rotator.tryAcquire() { lease.report(.success(latency: .zero)) }
    }
    let elapsed = start.duration(to: clock.now)
    print("round \(round): \(Double(elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000) / Double(iterations)) ns/op")
}
