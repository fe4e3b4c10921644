import KeyRotationHTTP
import Synchronization
import Testing

private struct UpstreamError: Error, Equatable {
    var code: Int
}

/// A fake upstream: counts calls, and holds every call until the test releases it.
private final class Upstream: Sendable {
    private struct State {
        var calls = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var isReleased = false
    }

    private let state = Mutex(State())

    var calls: Int { self.state.withLock { $0.calls } }
    var waitingCount: Int { self.state.withLock { $0.waiting.count } }

    func call<T>(returning value: T) async -> T {
        await self.hold()
        return value
    }

    func call<T>(throwing error: UpstreamError) async throws -> T {
        await self.hold()
        throw error
    }

    /// Lets every held call go, and every later one pass at once.
    func release() {
        let waiting = self.state.withLock { state in
            state.isReleased = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    private func hold() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let passes = self.state.withLock { state in
                state.calls += 1
                if state.isReleased { return true }
                state.waiting.append(continuation)
                return false
            }
            if passes { continuation.resume() }
        }
    }
}

/// Yields until `condition` holds, at most `maximumYields` times; never sleeps.
private func eventually(maximumYields: Int = 1_000_000, _ condition: () -> Bool) async -> Bool {
    for _ in 0..<maximumYields {
        if condition() { return true }
        await Task.yield()
    }
    return condition()
}

private func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

@Suite struct SingleFlightTests {
    @Test func thousandConcurrentCallsMakeOneUpstreamCallAndShareItsValue() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let callers = 1_000
        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    await outcome { try await flight.run(key: "k") { await upstream.call(returning: 42) } }
                }
            }
            let joined = await eventually { flight.waiterCount(for: "k") == callers && upstream.waitingCount == 1 }
            #expect(joined)
            #expect(flight.inFlightCount == 1)
            upstream.release()
            var results: [Result<Int, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(upstream.calls == 1)
        #expect(results.count == callers)
        #expect(results.allSatisfy { (try? $0.get()) == 42 })
        #expect(flight.inFlightCount == 0)
    }

    @Test func thousandConcurrentCallsShareOneError() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let callers = 1_000
        let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    await outcome {
                        try await flight.run(key: "k") { try await upstream.call(throwing: UpstreamError(code: 503)) }
                    }
                }
            }
            let joined = await eventually { flight.waiterCount(for: "k") == callers && upstream.waitingCount == 1 }
            #expect(joined)
            upstream.release()
            var results: [Result<Int, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(upstream.calls == 1)
        #expect(results.count == callers)
        let errors = results.compactMap { result -> UpstreamError? in
            guard case .failure(let error) = result else { return nil }
            return error as? UpstreamError
        }
        #expect(errors == Array(repeating: UpstreamError(code: 503), count: callers))
        #expect(flight.inFlightCount == 0)
    }

    @Test func cancelledWaiterLeavesWhileTheOthersGetTheValue() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let first = Task { try await flight.run(key: "k") { await upstream.call(returning: 7) } }
        let second = Task { try await flight.run(key: "k") { await upstream.call(returning: 8) } }
        let third = Task { try await flight.run(key: "k") { await upstream.call(returning: 9) } }
        #expect(await eventually { flight.waiterCount(for: "k") == 3 && upstream.waitingCount == 1 })
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        #expect(flight.waiterCount(for: "k") == 2)
        #expect(flight.inFlightCount == 1)
        upstream.release()
        let firstValue = try await first.value
        let thirdValue = try await third.value
        #expect(firstValue == thirdValue)
        #expect([7, 8, 9].contains(firstValue))
        #expect(upstream.calls == 1)
        #expect(flight.inFlightCount == 0)
    }

    @Test func cancellingTheCallerThatStartedTheCallDoesNotCancelIt() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let starter = Task { try await flight.run(key: "k") { await upstream.call(returning: 1) } }
        #expect(await eventually { upstream.waitingCount == 1 })
        let joiner = Task { try await flight.run(key: "k") { await upstream.call(returning: 2) } }
        #expect(await eventually { flight.waiterCount(for: "k") == 2 })
        starter.cancel()
        await #expect(throws: CancellationError.self) { try await starter.value }
        upstream.release()
        #expect(try await joiner.value == 1)
        #expect(upstream.calls == 1)
    }

    @Test func callOutlivesItsLastWaiterAndALateCallerJoinsIt() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let early = Task { try await flight.run(key: "k") { await upstream.call(returning: 1) } }
        #expect(await eventually { upstream.waitingCount == 1 })
        early.cancel()
        await #expect(throws: CancellationError.self) { try await early.value }
        #expect(flight.waiterCount(for: "k") == 0)
        #expect(flight.inFlightCount == 1)
        let late = Task { try await flight.run(key: "k") { await upstream.call(returning: 2) } }
        #expect(await eventually { flight.waiterCount(for: "k") == 1 })
        upstream.release()
        #expect(try await late.value == 1)
        #expect(upstream.calls == 1)
        #expect(flight.inFlightCount == 0)
    }

    @Test func abandonedCallFinishesAndIsForgotten() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let caller = Task { try await flight.run(key: "k") { await upstream.call(returning: 1) } }
        #expect(await eventually { upstream.waitingCount == 1 })
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        upstream.release()
        #expect(await eventually { flight.inFlightCount == 0 })
        #expect(upstream.calls == 1)
    }

    @Test func callerCancelledBeforeJoiningRunsNothing() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        upstream.release()
        let caller = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await flight.run(key: "k") { await upstream.call(returning: 1) }
        }
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(upstream.calls == 0)
        #expect(flight.inFlightCount == 0)
    }

    @Test func keyIsForgottenAfterCompletion() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        upstream.release()
        #expect(try await flight.run(key: "k") { await upstream.call(returning: 1) } == 1)
        #expect(flight.inFlightCount == 0)
        #expect(try await flight.run(key: "k") { await upstream.call(returning: 2) } == 2)
        #expect(upstream.calls == 2)
        await #expect(throws: UpstreamError(code: 500)) {
            try await flight.run(key: "k") { () async throws -> Int in
                try await upstream.call(throwing: UpstreamError(code: 500))
            }
        }
        #expect(try await flight.run(key: "k") { await upstream.call(returning: 3) } == 3)
        #expect(upstream.calls == 4)
    }

    @Test func differentKeysRunSeparately() async throws {
        let flight = SingleFlight<String, Int>()
        let upstream = Upstream()
        let a = Task { try await flight.run(key: "a") { await upstream.call(returning: 1) } }
        let b = Task { try await flight.run(key: "b") { await upstream.call(returning: 2) } }
        #expect(await eventually { upstream.waitingCount == 2 })
        #expect(flight.inFlightCount == 2)
        upstream.release()
        #expect(try await a.value == 1)
        #expect(try await b.value == 2)
        #expect(upstream.calls == 2)
    }
}
