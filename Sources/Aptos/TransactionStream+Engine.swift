import KeyRotationHTTP

private enum PageOutcome: Sendable {
    case page([Transaction], LedgerHeaders)
    /// The node's head is below the page's start (it answered `invalid_input` with its head).
    case notYet(head: UInt64?)
}

private func fetchTransactionPage<C: Clock>(
    _ client: AptosClient<C>,
    _ range: ClosedRange<UInt64>,
    _ configuration: TransactionStream<C>.Configuration
) async throws -> PageOutcome where C.Duration == Duration {
    try await retryingPassingFaults(client.clock, configuration) {
        do {
            let response = try await client.transactions(start: range.lowerBound, limit: range.count)
            return .page(response.value, response.ledger)
        } catch let error as AptosAPIError where !error.isPruned && error.code == .invalidInput {
            guard let head = error.ledger.ledgerVersion, head < range.lowerBound else { throw error }
            return .notYet(head: head)
        }
    }
}

/// Runs `operation`, and again after a pause (doubling from ``TransactionStream/Configuration/retryPause``) up
/// to ``TransactionStream/Configuration/retries`` times while it fails in a way that may pass (see
/// ``isPassingFault(_:)``). The node's own answers (not found, pruned, bad request) and the pool's verdicts (no
/// usable key, every key limited past the deadline) are thrown at once.
private func retryingPassingFaults<C: Clock, T: Sendable>(
    _ clock: C,
    _ configuration: TransactionStream<C>.Configuration,
    _ operation: () async throws -> T
) async throws -> T where C.Duration == Duration {
    var pause = configuration.retryPause
    for _ in 0..<configuration.retries {
        do {
            return try await operation()
        } catch  where isPassingFault(error) {
            try await clock.sleep(until: clock.now.advanced(by: pause), tolerance: nil)
            pause = pause * 2
        }
    }
    return try await operation()
}

/// Whether a failed read may succeed if asked again later: the upstream kept failing (5xx, resets, timeouts) past
/// the client's own retries, a body came back cut short, or an error status came without an AptosError body
/// (a proxy's page, a refused redirect) outside 4xx.
private func isPassingFault(_ error: any Error) -> Bool {
    if let error = error as? RotatingClientError {
        return error.code == .attemptsExhausted || error.code == .deadlineExceeded || error.code == .transport
    }
    if let error = error as? AptosClientError {
        if error.code == .decodingFailed { return true }
        if error.code == .unexpectedResponse { return !(400..<500).contains(error.status ?? 0) }
    }
    return false
}

extension TransactionStream {
    /// The iterator's state: the next version, the pages in flight, the page being delivered. Owned by one
    /// iterator and used from one task at a time (an iterator is not shared), so it needs no lock.
    final class Engine {
        private struct Slot {
            var range: ClosedRange<UInt64>
            var task: Task<PageOutcome, any Error>
        }

        private let stream: TransactionStream
        private var isStarted = false
        private var isFinished = false
        /// The version of the next transaction to deliver after the buffer.
        private var nextVersion: UInt64 = 0
        /// The first version not yet assigned to a page (gaps aside).
        private var scheduleCursor: UInt64 = 0
        /// Ranges below `scheduleCursor` to fetch again (a short page's rest, a page the node had not reached),
        /// ascending, disjoint from the slots.
        private var gaps: [ClosedRange<UInt64>] = []
        private var slots: [UInt64: Slot] = [:]
        private var knownHead: UInt64?
        private var buffer: [Transaction] = []
        private var bufferIndex = 0
        /// The version to save when the consumer asks for the element after the last of a page.
        private var pendingCommit: UInt64?
        private var pollInterval: Duration

        init(stream: TransactionStream) {
            self.stream = stream
            self.pollInterval = stream.configuration.initialPollInterval
        }

        deinit {
            for slot in self.slots.values { slot.task.cancel() }
        }

        func next() async throws -> Transaction? {
            if self.isFinished { return nil }
            do {
                if !self.isStarted { try self.start() }
                if let commit = self.pendingCommit {
                    try self.save(commit)
                    self.pendingCommit = nil
                }
                if self.bufferIndex < self.buffer.count { return self.take() }
                // Bounded by the range, or (following the head) by the task's cancellation.
                while true {
                    if let end = self.stream.endVersion, self.nextVersion > end {
                        self.finish()
                        return nil
                    }
                    try Task.checkCancellation()
                    self.fill()
                    guard let slot = self.slots.removeValue(forKey: self.nextVersion) else {
                        try await self.waitForHead()
                        continue
                    }
                    let task = slot.task
                    let outcome = try await withTaskCancellationHandler {
                        try await task.value
                    } onCancel: {
                        task.cancel()
                    }
                    switch outcome {
                    case .notYet(let head):
                        self.knownHead = head ?? self.nextVersion.subtractingReportingOverflow(1).partialValue
                        self.gaps.insert(slot.range, at: 0)
                    case .page(let transactions, let ledger):
                        if let head = ledger.ledgerVersion { self.knownHead = Swift.max(self.knownHead ?? head, head) }
                        let delivered = try Self.validate(transactions, for: slot.range)
                        guard !delivered.isEmpty else {
                            // Nothing committed there yet: wait for the head rather than ask again at once.
                            self.knownHead = slot.range.lowerBound == 0 ? nil : slot.range.lowerBound - 1
                            self.gaps.insert(slot.range, at: 0)
                            continue
                        }
                        let after = slot.range.lowerBound + UInt64(delivered.count)
                        if after <= slot.range.upperBound { self.gaps.insert(after...slot.range.upperBound, at: 0) }
                        self.nextVersion = after
                        self.buffer = delivered
                        self.bufferIndex = 0
                        self.pollInterval = self.stream.configuration.initialPollInterval
                        self.fill()  // fetch ahead while the consumer works through this page
                        return self.take()
                    }
                }
            } catch {
                self.finish()
                throw error
            }
        }

        private func start() throws {
            self.isStarted = true
            var start = self.stream.startVersion
            if let checkpoint = self.stream.checkpoint {
                do {
                    if let saved = try checkpoint.load(), saved > start { start = saved }
                } catch {
                    throw AptosClientError(.checkpointFailed, "cannot read the stream's checkpoint: \(error)")
                }
            }
            self.nextVersion = start
            self.scheduleCursor = start
        }

        private func save(_ nextVersion: UInt64) throws {
            guard let checkpoint = self.stream.checkpoint else { return }
            do { try checkpoint.save(nextVersion: nextVersion) } catch {
                throw AptosClientError(
                    .checkpointFailed,
                    "cannot save the stream's checkpoint (next version \(nextVersion)): \(error)"
                )
            }
        }

        private func take() -> Transaction {
            let transaction = self.buffer[self.bufferIndex]
            self.bufferIndex += 1
            if self.bufferIndex == self.buffer.count {
                self.pendingCommit = self.nextVersion
                self.buffer = []
                self.bufferIndex = 0
            }
            return transaction
        }

        private func finish() {
            self.isFinished = true
            for slot in self.slots.values { slot.task.cancel() }
            self.slots = [:]
            self.buffer = []
            self.bufferIndex = 0
        }

        /// Whether a page may start at `version`: at or below the known head; before the head is known, only the
        /// first page goes out (its answer tells the head).
        private func canFetch(_ version: UInt64) -> Bool {
            if let head = self.knownHead { return version <= head }
            return self.slots.isEmpty
        }

        /// Starts fetches until ``Configuration/pagesAhead`` pages are in flight: gaps first, then new pages.
        private func fill() {
            let configuration = self.stream.configuration
            while self.slots.count < configuration.pagesAhead {
                var range: ClosedRange<UInt64>
                if let gap = self.gaps.first {
                    guard self.canFetch(gap.lowerBound) else { return }
                    range = gap
                    self.gaps.removeFirst()
                    if let head = self.knownHead, range.upperBound > head {
                        self.gaps.insert(head + 1...range.upperBound, at: 0)
                        range = range.lowerBound...head
                    }
                } else {
                    if let end = self.stream.endVersion, self.scheduleCursor > end { return }
                    guard self.canFetch(self.scheduleCursor) else { return }
                    let (last, overflow) = self.scheduleCursor.addingReportingOverflow(
                        UInt64(configuration.pageSize - 1)
                    )
                    var upper = overflow ? UInt64.max : last
                    if let end = self.stream.endVersion { upper = Swift.min(upper, end) }
                    if let head = self.knownHead { upper = Swift.min(upper, head) }
                    range = self.scheduleCursor...upper
                    guard upper < UInt64.max else { return }
                    self.scheduleCursor = upper + 1
                }
                let client = self.stream.client
                let fetched = range
                let task = Task { try await fetchTransactionPage(client, fetched, configuration) }
                self.slots[range.lowerBound] = Slot(range: range, task: task)
            }
        }

        /// Caught up: waits (backing off) and reads the head again.
        private func waitForHead() async throws {
            let clock = self.stream.client.clock
            try await clock.sleep(until: clock.now.advanced(by: self.pollInterval), tolerance: nil)
            self.pollInterval = Swift.min(self.pollInterval * 2, self.stream.configuration.maximumPollInterval)
            let client = self.stream.client
            let info = try await retryingPassingFaults(client.clock, self.stream.configuration) {
                try await client.ledgerInfo()
            }
            self.knownHead = info.value.ledgerVersion
        }

        /// The page's transactions if they are the versions asked for, in order from the range's start (extra
        /// ones dropped); a gap, a duplicate or a missing version throws.
        private static func validate(
            _ transactions: [Transaction],
            for range: ClosedRange<UInt64>
        ) throws -> [Transaction] {
            let page = transactions.prefix(range.count)
            for (offset, transaction) in page.enumerated() {
                let expected = range.lowerBound + UInt64(offset)
                guard transaction.version == expected else {
                    throw AptosClientError(
                        .inconsistentPage,
                        "the page from version \(range.lowerBound) holds "
                            + (transaction.version.map { "version \($0)" } ?? "an uncommitted transaction")
                            + " where version \(expected) belongs; the node's answer is not in order"
                    )
                }
            }
            return Array(page)
        }
    }
}
