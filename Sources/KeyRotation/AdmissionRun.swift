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
    /// The successes of requests leased in the run (before its refusal).
    var successes = 0
    /// When the provider refused the run; ``Timestamp/distantFuture`` while it lasts.
    var refusedAt = Timestamp.distantFuture

    /// A run starting with a lease at `start`.
    init(start: Timestamp, successes: Int = 0) {
        self.start = start
        self.successes = successes
    }

    /// Whether the provider refused the run.
    @inline(__always)
    var isRefused: Bool { self.refusedAt != .distantFuture }

    /// Whether the run was refused before `leasedAt`: a request leased then is a retry, and its success re-admits
    /// the key.
    @inline(__always)
    func isRefused(before leasedAt: Timestamp) -> Bool { leasedAt > self.refusedAt }

    /// Whether the run, refused, filled the provider's window within `horizon` of its start, so that its
    /// re-admission measures the window.
    func filledQuickly(within horizon: Duration) -> Bool {
        self.isRefused && self.start.duration(to: self.refusedAt) < horizon
    }
}
