/// A key's API allowance and use (`GET /users/{id}/overall_quotas`); the field paths are unverified, so every
/// window is optional.
public struct VirusTotalQuotas: Hashable, Sendable {
    /// One window's allowance and use.
    public struct Allowance: Hashable, Sendable {
        /// Requests allowed in the window.
        public var allowed: Int
        /// Requests used so far in the window.
        public var used: Int

        /// Creates an allowance.
        public init(allowed: Int, used: Int) {
            self.allowed = allowed
            self.used = used
        }

        /// Requests left in the window, never below 0.
        public var remaining: Int { max(self.allowed - self.used, 0) }
    }

    /// The hourly window (`api_requests_hourly.user`).
    public var hourly: Allowance?
    /// The daily window, reset at 00:00 UTC (`api_requests_daily.user`).
    public var daily: Allowance?
    /// The monthly window, reset at 00:00 UTC on the 1st (`api_requests_monthly.user`).
    public var monthly: Allowance?

    /// Creates quotas.
    public init(hourly: Allowance? = nil, daily: Allowance? = nil, monthly: Allowance? = nil) {
        self.hourly = hourly
        self.daily = daily
        self.monthly = monthly
    }
}
