import Foundation
import KeyRotation
import KeyRotationRedis

/// Scenario 8, the Redis key-state store on a real `redis-server` (`KEYROTATION_REDIS_URL`; skipped without it):
/// admissions per second with 1, 16 and 64 tasks acquiring at once (the store pipelines them automatically on its
/// one connection), what Redis adds to an acquire + report, and the explicit batch API.
struct RedisScenario: BenchScenario {
    let name = "redis"
    let title = "8. Redis key-state store (KEYROTATION_REDIS_URL): admissions per second, added latency"
    let columns = [
        Column("tasks", "tasks"),
        Column("admissions /s", "admissions_per_s"),
        Column("µs/acquire", "acquire_us", decimals: 1),
        Column("added µs/acquire", "added_us", decimals: 1),
        Column("scripts/batch", "per_batch", decimals: 1),
    ]

    /// Limits that never refuse, so every round trip is a full admission (read, decide, record).
    private static let limits: [RateLimit] = [
        .calendar(Int.max / 4, per: .day), try! .gcra(rate: 1_000_000, per: .seconds(1), burst: 1_000_000),
    ]

    func run(_ options: BenchOptions) async -> [ResultRow] {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment[RedisKeyStateStore.Configuration.environmentVariable], !url.isEmpty else {
            var row = ResultRow(scenario: self.name, variant: "skipped", pool: "-", driver: "micro", figures: [])
            row.notes = ["skipped: set KEYROTATION_REDIS_URL=redis://127.0.0.1:6379/0 to measure a local redis-server"]
            return [row]
        }
        let iterations = options.quick ? 2_000 : 40_000
        do {
            var rows: [ResultRow] = []
            for tasks in [1, 16, 64] {
                rows.append(try await self.measure(url: url, tasks: tasks, iterations: iterations))
            }
            for threads in [1, 16, 64] {
                rows.append(try self.measureThreads(url: url, threads: threads, iterations: iterations))
            }
            rows.append(try self.measureBatches(url: url, iterations: iterations, batch: 64))
            return rows
        } catch {
            var row = ResultRow(scenario: self.name, variant: "failed", pool: "-", driver: "micro", figures: [])
            row.notes = ["Redis unavailable: \(error)"]
            return [row]
        }
    }

    private func store(url: String) throws -> RedisKeyStateStore {
        var configuration = try RedisKeyStateStore.Configuration(url: url)
        configuration.keyPrefix = "rotation-bench:\(getpid()):"
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        return store
    }

    /// `tasks` tasks each acquiring and reporting `iterations / tasks` times, on the store and in memory.
    private func measure(url: String, tasks: Int, iterations: Int) async throws -> ResultRow {
        let store = try self.store(url: url)
        let keys = (0..<8).map { APIKey("bench-secret-\($0)", limits: Self.limits) }
        let shared = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin, stateStore: store))
        let local = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin))
        let each = max(1, iterations / tasks)
        func loop(_ rotator: KeyRotator<ContinuousClock>) async -> Duration {
            await ContinuousClock().measure {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            for _ in 0..<each {
                                guard let lease = try? await rotator.acquire() else { continue }
                                lease.report(.success(latency: .zero))
                            }
                        }
                    }
                }
            }
        }
        let before = store.pipelineStatistics
        let withStore = await loop(shared)
        let after = store.pipelineStatistics
        let inMemory = await loop(local)
        let total = Double(each * tasks)
        let perAcquire = withStore.seconds * 1e6 * Double(tasks) / total
        return ResultRow(
            scenario: self.name,
            variant: "\(Int(total)) acquires, \(tasks) task\(tasks == 1 ? "" : "s")",
            pool: "RedisKeyStateStore",
            driver: "micro",
            figures: [
                ("tasks", Double(tasks)),
                ("admissions_per_s", total / withStore.seconds),
                ("acquire_us", perAcquire),
                ("added_us", perAcquire - inMemory.seconds * 1e6 * Double(tasks) / total),
                ("per_batch", Double(after.calls - before.calls) / Double(max(1, after.batches - before.batches))),
            ]
        )
    }

    /// `threads` threads each calling the store's `admit` directly `iterations / threads` times: the store's own
    /// throughput under concurrency, without the rotator's hop to a Dispatch thread.
    private func measureThreads(url: String, threads: Int, iterations: Int) throws -> ResultRow {
        let store = try self.store(url: url)
        let each = max(1, iterations / threads)
        let now = Timestamp(Date())
        let before = store.pipelineStatistics
        let elapsed = ContinuousClock().measure {
            let group = DispatchGroup()
            for thread in 0..<threads {
                group.enter()
                Thread {
                    for _ in 0..<each {
                        _ = try? store.admit(fingerprint: "bench\(thread % 8)", cost: 1, limits: Self.limits, at: now)
                    }
                    group.leave()
                }.start()
            }
            group.wait()
        }
        let after = store.pipelineStatistics
        let total = Double(each * threads)
        return ResultRow(
            scenario: self.name,
            variant: "\(Int(total)) admit calls, \(threads) thread\(threads == 1 ? "" : "s")",
            pool: "RedisKeyStateStore",
            driver: "micro",
            figures: [
                ("tasks", Double(threads)), ("admissions_per_s", total / elapsed.seconds),
                ("acquire_us", elapsed.seconds * 1e6 * Double(threads) / total), ("added_us", .nan),
                ("per_batch", Double(after.calls - before.calls) / Double(max(1, after.batches - before.batches))),
            ]
        )
    }

    /// The explicit batch API: `batch` admissions per call, one caller.
    private func measureBatches(url: String, iterations: Int, batch: Int) throws -> ResultRow {
        let store = try self.store(url: url)
        let requests = (0..<batch).map {
            RedisKeyStateStore.AdmissionRequest(fingerprint: "bench\($0 % 8)", cost: 1, limits: Self.limits)
        }
        let now = Timestamp(Date())
        let rounds = max(1, iterations / batch)
        let elapsed = ContinuousClock().measure {
            for _ in 0..<rounds { _ = try? store.admit(requests, at: now) }
        }
        let total = Double(rounds * batch)
        return ResultRow(
            scenario: self.name,
            variant: "\(Int(total)) admissions, batch API",
            pool: "RedisKeyStateStore",
            driver: "micro",
            figures: [
                ("tasks", 1), ("admissions_per_s", total / elapsed.seconds),
                ("acquire_us", elapsed.seconds * 1e6 / total), ("added_us", .nan), ("per_batch", Double(batch)),
            ]
        )
    }
}
