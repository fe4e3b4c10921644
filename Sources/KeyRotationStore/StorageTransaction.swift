public import KeyRotation

/// The stores' writes inside one ``KeyRotationStorage/transaction(_:)``: all committed together or none.
///
/// Valid only inside the closure it is passed to.
public struct StorageTransaction {
    let connection: SQLiteConnection

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// Inserts or replaces a report (see ``ReportStore/upsert(_:)``).
    public func upsert(_ report: StoredReport) throws {
        try ReportStore.upsert(report, in: self.connection)
    }

    /// Queues a request once (see ``RequestQueue/enqueue(kind:payload:eta:at:)``).
    @discardableResult
    public func enqueue(kind: String, payload: String, eta: Timestamp, at now: Timestamp) throws -> QueuedRequest {
        try RequestQueue.enqueue(kind: kind, payload: payload, eta: eta, at: now, in: self.connection)
    }

    /// Removes a finished request; returns whether it was still queued.
    @discardableResult
    public func complete(requestID: Int64) throws -> Bool {
        try RequestQueue.complete(id: requestID, in: self.connection)
    }

    /// Moves a request's ETA and counts the attempt.
    public func reschedule(requestID: Int64, eta: Timestamp) throws {
        try RequestQueue.reschedule(id: requestID, eta: eta, in: self.connection)
    }

    /// A checkpoint's value, or `nil` if never set.
    public func checkpoint(_ name: String) throws -> UInt64? {
        try CheckpointStore.value(name, in: self.connection)
    }

    /// Moves a checkpoint forward (see ``CheckpointStore/advance(_:to:)``); returns its value afterwards.
    @discardableResult
    public func advance(_ name: String, to value: UInt64) throws -> UInt64 {
        try CheckpointStore.advance(name, to: value, in: self.connection)
    }
}

/// Not `Sendable`: a transaction belongs to the closure it was passed to, on the thread that holds the connection.
@available(*, unavailable)
extension StorageTransaction: Sendable {}
