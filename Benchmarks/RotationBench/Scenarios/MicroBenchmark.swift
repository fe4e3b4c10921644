import Foundation
import KeyRotation
import KeyRotationTesting

/// Micro: the cost of one uncontended `tryAcquire` + `report(.success)` for every strategy and pool size, with
/// one token bucket per key that never runs dry (so every call leases), on `ContinuousClock`; the median of several
/// rounds. Then operations per second from 1 and 2 threads hammering one rotator, and heap bytes kept per operation.
/// The naive baseline's `acquire` is async (its lock is), so it is measured from tasks.
struct MicroBenchmark: BenchScenario {
    let name = "micro"
    let title = "Micro: tryAcquire + report, uncontended (ns/op) and from 1 and 2 threads (ops/s)"
    let columns = [
        Column("ns/op p50", "ns_per_op_median", decimals: 1),
        Column("ns/op min", "ns_per_op_min", decimals: 1),
        Column("ops/s 1 thread", "ops_per_s_1_thread"),
        Column("ops/s 2 threads", "ops_per_s_2_threads"),
        Column("heap B/op", "heap_bytes_per_op", decimals: 2),
        Column("allocs/op", "allocations_per_op", decimals: 2),
    ]

    static let limits: [RateLimit] = [.tokenBucket(capacity: 1_000_000_000, refillInterval: .nanoseconds(1))]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let rounds = options.quick ? 3 : 5
        let roundTime = Duration.milliseconds(options.quick ? 2 : 20)
        let threadTime = Duration.milliseconds(options.quick ? 10 : 100)
        var rows: [ResultRow] = []
        for count in options.quick ? [1, 4, 100] : [1, 4, 100, 10_000] {
            let keys = (0..<count).map { APIKey("micro-secret-\($0)-0123456789", label: "m\($0)", limits: Self.limits) }
            for strategy in SelectionStrategy.all {
                let rotator = KeyRotator(keys: keys, configuration: .init(strategy: strategy))
                let timing = Self.measure(rounds: rounds, roundTime: roundTime) { iterations in
                    Self.acquireAndReport(rotator, iterations: iterations)
                }
                let one = Self.throughput(threads: 1, for: threadTime) {
                    Self.acquireAndReport(rotator, iterations: $0)
                }
                let two = Self.throughput(threads: 2, for: threadTime) {
                    Self.acquireAndReport(rotator, iterations: $0)
                }
                rows.append(Self.row(count: count, pool: strategy.description, timing: timing, one: one, two: two))
            }
            let naive = NaiveRotator(
                secrets: keys.map { _ in "s" },
                minimumDelay: .zero,
                timeline: RealTimeline(startUTC: .epoch)
            )
            let timing = await Self.measureAsync(rounds: rounds, roundTime: roundTime) { iterations in
                for _ in 0..<iterations { _ = try? await naive.acquire() }
            }
            let one = await Self.asyncThroughput(tasks: 1, for: threadTime) { _ = try? await naive.acquire() }
            let two = await Self.asyncThroughput(tasks: 2, for: threadTime) { _ = try? await naive.acquire() }
            var row = Self.row(count: count, pool: naive.name, timing: timing, one: one, two: two)
            row.notes.append("async acquire on a FIFO lock, measured from tasks, not threads")
            rows.append(row)
        }
        return rows
    }

    private static func row(
        count: Int,
        pool: String,
        timing: Timing,
        one: Double,
        two: Double
    ) -> ResultRow {
        var figures: [(String, Double)] = [
            ("keys", Double(count)),
            ("ns_per_op_median", timing.median),
            ("ns_per_op_min", timing.minimum),
            ("ops_per_s_1_thread", one),
            ("ops_per_s_2_threads", two),
        ]
        if let heap = timing.heapPerOp { figures.append(("heap_bytes_per_op", heap)) }
        if let allocations = timing.allocationsPerOp { figures.append(("allocations_per_op", allocations)) }
        var row = ResultRow(
            scenario: "micro",
            variant: "\(count) key\(count == 1 ? "" : "s")",
            pool: pool,
            driver: "micro",
            figures: figures
        )
        if timing.allocationsPerOp == nil { row.notes.append("allocations per op: not counted on this platform") }
        return row
    }

    @inline(never)
    static func acquireAndReport(_ rotator: KeyRotator<ContinuousClock>, iterations: Int) {
        for _ in 0..<iterations {
            if case .lease(let lease) = rotator.tryAcquire() { lease.report(.success(latency: .zero)) }
        }
    }

    /// Nanoseconds per operation (median and minimum of the rounds), and per operation over all rounds the heap
    /// growth kept and the heap allocations made (`nil` where they can't be read).
    struct Timing {
        var median: Double
        var minimum: Double
        var heapPerOp: Double?
        var allocationsPerOp: Double?

        init(samples: [Double], operations: Int, heapBefore: Int?, allocationsBefore: Int?) {
            let sorted = samples.sorted()
            self.median = sorted[sorted.count / 2]
            self.minimum = sorted[0]
            let heapAfter = HeapProbe.bytesInUse()
            let allocationsAfter = AllocationProbe.count()
            self.heapPerOp = heapBefore.flatMap { before in heapAfter.map { Double($0 - before) / Double(operations) } }
            self.allocationsPerOp = allocationsBefore.flatMap { before in
                allocationsAfter.map { Double($0 - before) / Double(operations) }
            }
        }
    }

    /// Calibrates the iterations to `roundTime`, then times `rounds` rounds of them.
    static func measure(
        rounds: Int,
        roundTime: Duration,
        _ body: (Int) -> Void
    ) -> Timing {
        let clock = ContinuousClock()
        body(16)  // warm up
        let probe = clock.measure { body(16) }
        let perOp = max(1, probe.nanoseconds / 16)
        let iterations = Int(min(max(roundTime.nanoseconds / perOp, 16), 2_000_000))
        let heapBefore = HeapProbe.bytesInUse()
        let allocationsBefore = AllocationProbe.count()
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for _ in 0..<rounds {
            let elapsed = clock.measure { body(iterations) }
            samples.append(Double(elapsed.nanoseconds) / Double(iterations))
        }
        return Timing(
            samples: samples,
            operations: iterations * rounds,
            heapBefore: heapBefore,
            allocationsBefore: allocationsBefore
        )
    }

    static func measureAsync(
        rounds: Int,
        roundTime: Duration,
        _ body: (Int) async -> Void
    ) async -> Timing {
        let clock = ContinuousClock()
        await body(16)
        let start = clock.now
        await body(16)
        let perOp = max(1, start.duration(to: clock.now).nanoseconds / 16)
        let iterations = Int(min(max(roundTime.nanoseconds / perOp, 16), 2_000_000))
        let heapBefore = HeapProbe.bytesInUse()
        let allocationsBefore = AllocationProbe.count()
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for _ in 0..<rounds {
            let begin = clock.now
            await body(iterations)
            samples.append(Double(begin.duration(to: clock.now).nanoseconds) / Double(iterations))
        }
        return Timing(
            samples: samples,
            operations: iterations * rounds,
            heapBefore: heapBefore,
            allocationsBefore: allocationsBefore
        )
    }

    /// Operations per second from `threads` threads running `body` in batches for `duration`.
    static func throughput(threads: Int, for duration: Duration, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        let total = Locked(0)
        let done = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        let clock = ContinuousClock()
        let elapsed = Locked(Duration.zero)
        let batch = 256
        for _ in 0..<threads {
            let thread = Thread {
                start.wait()
                let begin = clock.now
                var operations = 0
                while begin.duration(to: clock.now) < duration {
                    body(batch)
                    operations += batch
                }
                let spent = begin.duration(to: clock.now)
                elapsed.withLock { $0 = max($0, spent) }
                total.withLock { $0 += operations }
                done.signal()
            }
            thread.start()
        }
        for _ in 0..<threads { start.signal() }
        for _ in 0..<threads { done.wait() }
        return Double(total.value) / max(elapsed.value.seconds, 1e-9)
    }

    static func asyncThroughput(
        tasks: Int,
        for duration: Duration,
        _ body: @escaping @Sendable () async -> Void
    ) async
        -> Double
    {
        let clock = ContinuousClock()
        let begin = clock.now
        let total = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    var operations = 0
                    while begin.duration(to: clock.now) < duration {
                        for _ in 0..<64 { await body() }
                        operations += 64
                    }
                    return operations
                }
            }
            return await group.reduce(0, +)
        }
        return Double(total) / begin.duration(to: clock.now).seconds
    }
}
