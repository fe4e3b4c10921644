/// What learned pacing measures on one key: a run of requests the provider admitted, from the key's first lease (its
/// first ever, its first after a rest longer than `maximumBackoff`, or its re-admission after a 429) until the
/// provider refuses one with a 429 the key's limits did not predict.
///
/// A run that fills the provider's window quickly (within `maximumBackoff` of its start) measures it: when the key is
/// admitted again, the window has turned over, and the run's successes over the time from its start to that instant
/// are the rate the provider allows. A longer run was paced close to that rate all along; its refusal only says the
/// pace had relaxed a little too far.
struct AdmissionRun: Hashable, Sendable {
    /// When the run's first request was leased.
    var start: Timestamp
    /// The pool's serial number of the run's first lease: leases numbered below it were taken before the run.
    var startSerial: UInt64
    /// The successes of requests leased in the run (before its refusal).
    var successes = 0
    /// When the provider refused the run; ``Timestamp/distantFuture`` while it lasts.
    var refusedAt = Timestamp.distantFuture
    /// The pool's last serial number when the provider refused the run: leases numbered up to it were taken before
    /// the refusal, even at the same instant (a test clock standing still, a coarse clock).
    var refusedSerial = UInt64.max

    /// A run starting with the lease numbered `serial`, taken at `start`.
    init(start: Timestamp, serial: UInt64, successes: Int = 0) {
        self.start = start
        self.startSerial = serial
        self.successes = successes
    }

    /// Whether the provider refused the run.
    @inline(__always)
    var isRefused: Bool { self.refusedAt != .distantFuture }

    /// Whether the run was refused before the lease numbered `serial` was taken: a request leased then is a retry,
    /// and its success re-admits the key.
    @inline(__always)
    func isRefused(beforeLease serial: UInt64) -> Bool { self.isRefused && serial > self.refusedSerial }

    /// Whether the lease numbered `serial` was taken before the run began, or before its refusal: the same full
    /// window refused it, so its 429 says nothing new.
    @inline(__always)
    func supersedes(lease serial: UInt64) -> Bool {
        serial < self.startSerial || (self.isRefused && serial <= self.refusedSerial)
    }

    /// Whether the run, refused, filled the provider's window within `horizon` of its start, so that its
    /// re-admission measures the window.
    func filledQuickly(within horizon: Duration) -> Bool {
        self.isRefused && self.start.duration(to: self.refusedAt) < horizon
    }
}
