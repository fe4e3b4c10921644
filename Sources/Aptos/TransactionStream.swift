/// The committed transactions from one version to another, or following the ledger head, in version order: no
/// gap, no duplicate.
///
/// Pages of up to 100 are fetched ahead, several at once (each on whatever key the pool gives, so in parallel
/// across keys) and delivered strictly in order. At most ``Configuration/pagesAhead`` pages are in flight or
/// waiting for the consumer, so a slow consumer never makes the stream buffer without bound.
///
/// **Checkpoint.** With a ``TransactionCheckpoint``, a stream starts at the saved next version when it is past
/// `from`. The checkpoint is advanced to the version after a page when the consumer asks for the element after
/// that page's last transaction (it has taken, and so processed, the whole page); and once more when the range
/// ends. A process killed at any instant therefore repeats at most the page in progress when it restarts.
///
/// **Following the head.** Without an end version, or with one past the head, the stream waits for new versions
/// by polling the ledger info, backing off from ``Configuration/initialPollInterval`` to
/// ``Configuration/maximumPollInterval`` while nothing new arrives. Pages the node has only partly committed are
/// completed later, never skipped.
///
/// **Errors.** A page whose fetch failed on a fault that may pass (the upstream failing past the client's retries,
/// a body cut short) is asked for again, up to ``Configuration/retries`` times with a doubling pause. A start
/// version the node has pruned throws ``AptosAPIError`` once (``AptosAPIError/isPruned`` is
/// true and ``AptosAPIError/oldestLedgerVersion`` names the oldest version available), with no retry. After any
/// error the iterator is finished and returns `nil`; the in-flight fetches are cancelled, as they are when the
/// consuming task is cancelled or the iterator is dropped.
///
/// ```swift
/// let checkpoint = try SQLiteTransactionCheckpoint(path: "indexer.sqlite", name: "aptos.mainnet.transactions")
/// for try await transaction in client.transactionStream(from: 0, checkpoint: checkpoint) {
///     try index(transaction)
/// }
/// ```
public struct TransactionStream<C: Clock>: AsyncSequence, Sendable where C.Duration == Duration {
    /// A transaction.
    public typealias Element = Transaction

    /// Paging, fetch-ahead and polling.
    public struct Configuration: Hashable, Sendable {
        /// Transactions per page, 1…100. Default 100.
        public var pageSize: Int = 100 {
            willSet { precondition((1...100).contains(newValue), "a page holds 1 to 100 transactions") }
        }
        /// Pages in flight or fetched but not yet delivered, at least 1. Default 4.
        public var pagesAhead: Int = 4 {
            willSet { precondition(newValue >= 1, "at least one page is fetched at a time") }
        }
        /// The first wait before polling the head again when caught up. Default 1 s.
        public var initialPollInterval: Duration = .seconds(1)
        /// The longest wait between polls of the head. Default 30 s.
        public var maximumPollInterval: Duration = .seconds(30)
        /// How many more times a page (or a poll of the head) is asked for after the client gave up on a fault
        /// that may pass: the upstream kept failing (5xx, resets, timeouts), a body came back cut short, or an
        /// error status came without the node's error body (outside 4xx). Default 3.
        public var retries: Int = 3 {
            willSet { precondition(newValue >= 0, "retries can't be negative") }
        }
        /// The pause before the first of those retries; it doubles for each next one. Default 1 s.
        public var retryPause: Duration = .seconds(1)

        /// The defaults.
        public init() {}
    }

    /// The client pages are fetched with.
    public let client: AptosClient<C>
    /// The first version (unless the checkpoint is past it).
    public let startVersion: UInt64
    /// The last version, inclusive; `nil` follows the head for ever.
    public let endVersion: UInt64?
    /// Where progress is saved; `nil` keeps none.
    public let checkpoint: (any TransactionCheckpoint)?
    /// Paging, fetch-ahead and polling.
    public let configuration: Configuration

    /// Creates a stream.
    ///
    /// - Parameters:
    ///   - client: The client pages are fetched with.
    ///   - from: The first version (the checkpoint's saved version wins when it is larger).
    ///   - through: The last version, inclusive; `nil` follows the head.
    ///   - checkpoint: Where progress is saved. Default none.
    ///   - configuration: Paging, fetch-ahead and polling.
    public init(
        client: AptosClient<C>,
        from: UInt64,
        through: UInt64? = nil,
        checkpoint: (any TransactionCheckpoint)? = nil,
        configuration: Configuration = .init()
    ) {
        self.client = client
        self.startVersion = from
        self.endVersion = through
        self.checkpoint = checkpoint
        self.configuration = configuration
    }

    /// An iterator that owns the stream's state.
    public func makeAsyncIterator() -> Iterator { Iterator(engine: Engine(stream: self)) }

    /// Delivers the stream's transactions; see ``TransactionStream``.
    public struct Iterator: AsyncIteratorProtocol {
        private let engine: Engine

        fileprivate init(engine: Engine) { self.engine = engine }

        /// The next transaction, or `nil` at the end of the range (or after an error).
        ///
        /// - Throws: ``AptosAPIError`` (pruned start, other node errors), `RotatingClientError` (no key could serve),
        ///   ``AptosClientError`` (`inconsistentPage`, `checkpointFailed`), `CancellationError`.
        public mutating func next() async throws -> Transaction? { try await self.engine.next() }
    }
}

extension AptosClient {
    /// The transactions from `from` through `through` (or following the head); see ``TransactionStream``.
    public func transactionStream(
        from: UInt64,
        through: UInt64? = nil,
        checkpoint: (any TransactionCheckpoint)? = nil,
        configuration: TransactionStream<C>.Configuration = .init()
    ) -> TransactionStream<C> {
        TransactionStream(
            client: self,
            from: from,
            through: through,
            checkpoint: checkpoint,
            configuration: configuration
        )
    }
}

/// Not `Sendable`: an iterator belongs to the task that iterates (its engine keeps the page being delivered).
@available(*, unavailable)
extension TransactionStream.Iterator: Sendable {}
