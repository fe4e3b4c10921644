import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Synchronization

/// Runs a ``Workload`` against one pool, on virtual time (``VirtualDriver``) or on the wall clock.
struct WorkloadRunner<T: Timeline>: Sendable {
    let workload: Workload
    let timeline: T
    let seed: UInt64

    /// Which pool a run measures.
    enum PoolKind: Sendable {
        case strategy(SelectionStrategy)
        case naive
    }

    /// Runs the workload once against a fresh provider and pool; returns what was observed.
    func run(_ kind: PoolKind) async -> (pool: String, record: RunRecord) {
        let workload = self.workload
        var configuration = SimulatedProviderConfiguration(
            flavour: workload.flavour,
            unknownResources: [StatusClassifier.unknownDomain]
        )
        for spec in workload.keys {
            var behaviour = spec.behaviour
            behaviour.label = spec.label
            configuration.keys[spec.secret] = behaviour
        }
        let provider = SimulatedProvider(clock: self.timeline.clock, seed: self.seed, configuration: configuration)
        let pool: any BenchPool
        switch kind {
        case .strategy(let strategy):
            pool = RotatorPool(
                keys: workload.keys.map(\.apiKey),
                strategy: strategy,
                health: workload.health,
                seed: self.seed,
                clock: self.timeline.clock
            )
        case .naive:
            pool = NaiveRotator(
                secrets: workload.keys.map(\.secret),
                minimumDelay: workload.baselineMinimumDelay,
                timeline: self.timeline
            )
        }
        let start = self.timeline.now()
        let end = start.advanced(by: workload.duration)
        let record = Locked(RunRecord(keys: workload.keys.count, callers: workload.callers, buckets: workload.buckets))
        let bucketNanoseconds = max(1, workload.duration.nanoseconds / Int64(workload.buckets))
        let body: @Sendable (Int) async -> Void = { caller in
            await self.caller(
                caller,
                pool: pool,
                provider: provider,
                end: end,
                record: record,
                bucket: { Int(start.duration(to: $0).nanoseconds / bucketNanoseconds) }
            )
        }
        let changes = workload.changes.map { change in
            let spec = workload.keys[change.keyIndex]
            var changed = change.behaviour
            changed.label = spec.label
            let behaviour = changed
            return (
                at: start.advanced(by: change.at),
                apply: { @Sendable in provider.setBehaviour(behaviour, forKey: spec.secret) }
            )
        }
        if let virtual = self.timeline as? VirtualTimeline {
            let stalled = await VirtualDriver(timeline: virtual, pool: pool, callers: workload.callers)
                .run(until: end, changes: changes, body: body)
            record.withLock { $0.stalled = stalled }
        } else {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<workload.callers { group.addTask { await body(caller) } }
                var pending = changes
                while let change = pending.first {
                    try? await self.timeline.sleep(until: change.at)
                    change.apply()
                    pending.removeFirst()
                }
                try? await self.timeline.sleep(until: end)
                pool.stop()
                group.cancelAll()
                await group.waitForAll()
            }
        }
        return (pool.name, record.value)
    }

    /// One closed-loop caller: jobs of up to `attemptsPerJob` attempts until the end of the run.
    private func caller(
        _ index: Int,
        pool: any BenchPool,
        provider: SimulatedProvider<T.C>,
        end: Timestamp,
        record: Locked<RunRecord>,
        bucket: (Timestamp) -> Int
    ) async {
        var random = BenchRandom(seed: self.seed &+ UInt64(index) &* 0x9E37_79B9)
        let flavour = self.workload.flavour
        while self.timeline.now() < end {
            var firstFailure: Timestamp?
            var served = false
            // As RotatingClient counts: transient failures spend the attempt budget; refusals (429, quota, invalid
            // key: the upstream did nothing) spend a larger one.
            var failures = 0
            var refusals = 0
            while failures < self.workload.attemptsPerJob && refusals < self.workload.refusalsPerJob {
                let asked = self.timeline.now()
                let lease: PoolLease
                do {
                    lease = try await pool.acquire()
                } catch {
                    if Task.isCancelled || self.timeline.now() >= end { return }
                    // Every key unusable (all invalid): count it and try again a second later.
                    record.withLock { $0.acquireFailures += 1 }
                    failures += 1
                    if firstFailure == nil { firstFailure = asked }
                    do { try await self.timeline.sleep(until: asked.advanced(by: .seconds(1))) } catch { return }
                    continue
                }
                let sent = self.timeline.now()
                if sent >= end {
                    lease.report(.notCounted)
                    return
                }
                record.withLock { $0.waits.append(asked.duration(to: sent).nanoseconds) }
                let request = StatusClassifier.request(secret: lease.secret, flavour: flavour)
                let response = try? await provider.send(request)
                let latency = self.workload.latency.draw(&random)
                do { try await self.timeline.sleep(until: sent.advanced(by: latency)) } catch {
                    lease.report(.abandoned)
                    return
                }
                let status = response?.status ?? 0
                let outcome =
                    response.map {
                        StatusClassifier.outcome(
                            status: $0.status,
                            headers: $0.headers,
                            flavour: flavour,
                            latency: latency
                        )
                    } ?? .transientFailure
                lease.report(outcome)
                record.withLock { $0.recordAttempt(key: lease.keyIndex, status: status, bucket: bucket(sent)) }
                switch outcome {
                case .success:
                    served = true
                case .rateLimited, .quotaExhausted, .invalidKey:
                    refusals += 1
                default:
                    failures += 1
                }
                if served { break }
                if firstFailure == nil { firstFailure = sent }
            }
            let recovery = served ? firstFailure.map { $0.duration(to: self.timeline.now()).nanoseconds } : nil
            record.withLock { $0.recordJob(caller: index, served: served, recovery: recovery) }
        }
    }
}
