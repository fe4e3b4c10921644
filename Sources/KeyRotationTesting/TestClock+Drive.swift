import KeyRotation

extension TestClock {
    /// Runs `operation` in virtual time: whenever it (and everything it started) is blocked, the clock jumps to
    /// the earliest sleeper's deadline. Hours of backoffs and cooldowns pass in milliseconds of real time.
    ///
    /// Quiescence is detected by yielding `settleYields` times without the operation finishing; bounded by
    /// `maximumSteps` jumps, after which the operation is cancelled.
    public func drive<T: Sendable>(
        maximumSteps: Int = 100_000,
        settleYields: Int = 200,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let finished = Locked(false)
        let task = Task {
            defer { finished.withLock { $0 = true } }
            return try await operation()
        }
        var steps = 0
        while steps < maximumSteps {
            var idle = 0
            while idle < settleYields && !finished.value {
                await Task.yield()
                idle += 1
            }
            if finished.value { break }
            if self.advanceToNextDeadline() != nil { steps += 1 }
        }
        if !finished.value { task.cancel() }
        return try await task.value
    }
}
