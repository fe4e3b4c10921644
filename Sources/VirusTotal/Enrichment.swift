/// A batch lookup under way: its progress as an `AsyncSequence`, and its results in input order.
///
/// ```swift
/// let run = client.enrich(lines, concurrency: 4)
/// for await step in run.progress { print(step) }  // "12/40 enriched"
/// let results = await run.results
/// ```
public struct Enrichment: Sendable {
    /// One step of a batch: how many inputs have an answer (or a failure) so far.
    public struct Progress: Hashable, Sendable, CustomStringConvertible {
        /// Inputs done, failures included.
        public var completed: Int
        /// Inputs in the batch.
        public var total: Int
        /// Inputs that failed so far.
        public var failed: Int

        /// Creates a step.
        public init(completed: Int, total: Int, failed: Int) {
            self.completed = completed
            self.total = total
            self.failed = failed
        }

        /// `12/40 enriched`, with `(2 failed)` when some failed.
        public var description: String {
            "\(self.completed)/\(self.total) enriched" + (self.failed > 0 ? " (\(self.failed) failed)" : "")
        }
    }

    /// Steps, one each time an indicator is done; finishes when the batch is. Buffers the newest 64 steps for a
    /// slow reader.
    public let progress: AsyncStream<Progress>
    private let task: Task<[LookupResult], Never>

    init(progress: AsyncStream<Progress>, task: Task<[LookupResult], Never>) {
        self.progress = progress
        self.task = task
    }

    /// One result per input, in input order (duplicates share one lookup and get the same answer).
    public var results: [LookupResult] {
        get async { await self.task.value }
    }

    /// Stops the batch: lookups not started yet fail with ``VirusTotalError/Code/cancelled``.
    public func cancel() {
        self.task.cancel()
    }
}
