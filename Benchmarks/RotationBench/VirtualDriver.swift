import KeyRotation
import KeyRotationTesting

/// Drives the async callers on virtual time: waits until the system is quiet (every caller is parked in the pool,
/// asleep in the ``VirtualTimeline`` or done, and the pool has no queued caller it could serve now), then moves the
/// clock to the next event (a sleeper's wake-up, the pool's ETA for its queue, a scheduled change).
///
/// Quiescence is detected by yielding (bounded); it is confirmed twice so that a task in flight between two reads
/// is never missed.
struct VirtualDriver: Sendable {
    let timeline: VirtualTimeline
    let pool: any BenchPool
    let callers: Int

    /// Runs `body` for every caller until `end`; returns `true` if the run stalled (no quiet state was reached in
    /// the bound, or callers waited with no event ahead).
    func run(
        until end: Timestamp,
        changes: [(at: Timestamp, apply: @Sendable () -> Void)],
        body: @escaping @Sendable (Int) async -> Void
    ) async -> Bool {
        let finished = Locked(0)
        return await withTaskGroup(of: Void.self) { group in
            for caller in 0..<self.callers {
                group.addTask {
                    await body(caller)
                    finished.withLock { $0 += 1 }
                }
            }
            var pending = changes.sorted { $0.at < $1.at }
            var stalled = false
            while true {
                guard await self.waitUntilQuiet(finished: finished) else {
                    stalled = true
                    break
                }
                if finished.value == self.callers { break }
                let candidates = [self.timeline.nextWake, self.pool.quiescence().nextEvent, pending.first?.at]
                guard let next = candidates.compactMap({ $0 }).min() else {
                    stalled = true  // callers wait for something that never comes
                    break
                }
                if next >= end { break }
                self.timeline.clock.advance(to: next)
                while let change = pending.first, change.at <= next {
                    change.apply()
                    pending.removeFirst()
                }
                self.timeline.resumeDue()
            }
            if self.timeline.now() < end { self.timeline.clock.advance(to: end) }
            self.timeline.stop()
            self.pool.stop()
            group.cancelAll()
            await group.waitForAll()
            return stalled
        }
    }

    private func isQuiet(finished: Locked<Int>) -> Bool {
        let pool = self.pool.quiescence()
        guard pool.isSettled else { return false }
        let sleeping = self.timeline.sleeperCount
        return pool.parked + sleeping + finished.value == self.callers
    }

    private func waitUntilQuiet(finished: Locked<Int>) async -> Bool {
        var confirmations = 0
        for _ in 0..<5_000_000 {
            if self.isQuiet(finished: finished) {
                confirmations += 1
                if confirmations == 3 { return true }
            } else {
                confirmations = 0
            }
            await Task.yield()
        }
        return false
    }
}
