import KeyRotation
import Synchronization

extension VirusTotalClient {
    /// Looks up many indicators with bounded parallelism.
    ///
    /// Inputs are parsed first (invalid ones fail at once, before any network); duplicates (same
    /// ``IOC/cacheKey``, so `Example.COM` and `example.com` too) are looked up once; a transient fault (5xx, reset,
    /// timeout) is retried once, on another key when there is one (``Configuration-swift.struct/maximumAttempts``).
    /// Keys' limits still pace everything: more parallelism never means more than the pool allows.
    ///
    /// - Parameters:
    ///   - inputs: Indicators as typed, one per element.
    ///   - concurrency: Lookups in flight at most. Default 4.
    ///   - options: Cache use and waiting, for every lookup. Default ``LookupOptions/default``.
    /// - Returns: The batch: its progress, and its results in input order.
    public func enrich(
        _ inputs: [String],
        concurrency: Int = 4,
        options: LookupOptions = .default
    ) -> Enrichment {
        let (progress, continuation) = AsyncStream.makeStream(
            of: Enrichment.Progress.self,
            bufferingPolicy: .bufferingNewest(64)
        )
        let width = max(1, concurrency)
        let task = Task { [self] in
            defer { continuation.finish() }
            return await self.runEnrichment(inputs, width: width, options: options) { step in
                continuation.yield(step)
            }
        }
        return Enrichment(progress: progress, task: task)
    }

    private func runEnrichment(
        _ inputs: [String],
        width: Int,
        options: LookupOptions,
        report: (Enrichment.Progress) -> Void
    ) async -> [LookupResult] {
        var results = [LookupResult?](repeating: nil, count: inputs.count)
        var groups: [(ioc: IOC, indices: [Int])] = []
        var position: [String: Int] = [:]
        var step = Enrichment.Progress(completed: 0, total: inputs.count, failed: 0)
        for (index, input) in inputs.enumerated() {
            do {
                let ioc = try IOC.parse(input)
                if let at = position[ioc.cacheKey] {
                    groups[at].indices.append(index)
                } else {
                    position[ioc.cacheKey] = groups.count
                    groups.append((ioc, [index]))
                }
            } catch {
                self.count { $0.failures += 1 }
                results[index] = LookupResult(input: input, ioc: nil, status: .failed(VirusTotalError(error)))
                step.completed += 1
                step.failed += 1
            }
        }
        if step.completed > 0 { report(step) }
        await withTaskGroup(of: (Int, LookupResult).self) { group in
            var next = 0
            func startNext() {
                guard next < groups.count else { return }
                let at = next
                let ioc = groups[at].ioc
                let input = inputs[groups[at].indices[0]]
                next += 1
                group.addTask {
                    if Task.isCancelled {
                        let error = VirusTotalError(.cancelled, "the batch was cancelled before \(ioc) was looked up")
                        return (at, LookupResult(input: input, ioc: ioc, status: .failed(error)))
                    }
                    return (at, await self.lookup(ioc, input: input, options: options))
                }
            }
            for _ in 0..<width { startNext() }
            for await (at, result) in group {
                for index in groups[at].indices {
                    results[index] = result.answering(inputs[index])
                    step.completed += 1
                    if result.isFailure { step.failed += 1 }
                }
                report(step)
                startNext()
            }
        }
        return results.enumerated().map { index, result in
            result
                ?? LookupResult(
                    input: inputs[index],
                    ioc: nil,
                    status: .failed(VirusTotalError(.cancelled, "the batch ended before this input was looked up"))
                )
        }
    }
}
