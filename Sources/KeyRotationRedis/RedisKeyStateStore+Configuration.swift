public import Foundation

extension RedisKeyStateStore {
    /// How to reach Redis, how to name keys, and what to do when Redis is away.
    public struct Configuration: Sendable {
        /// Where Redis listens (from `KEYROTATION_REDIS_URL` with ``environment(_:)``).
        public var endpoint: RedisEndpoint
        /// Prepended to every key the store writes (default `keyrotation:`); give each pool its own to share a
        /// server between pools.
        public var keyPrefix: String = "keyrotation:"
        /// How long connecting may take (default 500 ms).
        public var connectTimeout: Duration = .milliseconds(500)
        /// How long one round trip may take (default 1 s).
        public var ioTimeout: Duration = .seconds(1)
        /// The wait before the first reconnect after a failure (default 50 ms); doubled after each failure.
        public var initialBackoff: Duration = .milliseconds(50)
        /// The longest wait between reconnects (default 2 s).
        public var maximumBackoff: Duration = .seconds(2)
        /// How long every admission of the pool is held back after Redis came back empty (restarted without
        /// persistence, failed over), so that every replica reconnects and writes back what it holds first
        /// (default 3 s: keep it above ``maximumBackoff`` + ``connectTimeout``, the longest a busy replica takes
        /// to reconnect).
        public var restartGrace: Duration = .seconds(3)
        /// How long keys outlive the window or block they hold (default 60 s).
        public var expiryMargin: Duration = .seconds(60)
        /// What ``RedisKeyStateStore/admit(fingerprint:cost:limits:at:)`` does while Redis is unreachable
        /// (default ``UnavailablePolicy/failClosed``).
        public var whenUnavailable: UnavailablePolicy = .failClosed
        /// A list every admission is appended to (`fingerprint serverMicros`), for tests and audits; `nil` (the
        /// default) writes none.
        package var admissionLogKey: String?

        /// A configuration for `endpoint` with every other field at its default.
        public init(endpoint: RedisEndpoint, whenUnavailable: UnavailablePolicy = .failClosed) {
            self.endpoint = endpoint
            self.whenUnavailable = whenUnavailable
        }

        /// A configuration for `redis://[[user]:password@]host[:port][/db]`.
        ///
        /// - Throws: ``RedisError`` as ``RedisEndpoint/init(url:)`` does.
        public init(url: String, whenUnavailable: UnavailablePolicy = .failClosed) throws(RedisError) {
            self.init(endpoint: try RedisEndpoint(url: url), whenUnavailable: whenUnavailable)
        }

        /// The name of the environment variable that holds the URL.
        public static let environmentVariable = "KEYROTATION_REDIS_URL"

        /// The configuration `KEYROTATION_REDIS_URL` describes, or `nil` when it is unset or empty.
        ///
        /// - Throws: ``RedisError`` naming the variable (never its value) when the URL is invalid or `rediss://`.
        public static func environment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(RedisError) -> Self? {
            guard let url = environment[Self.environmentVariable], !url.isEmpty else { return nil }
            do {
                return try Self(url: url)
            } catch {
                throw RedisError(error.code, "\(Self.environmentVariable): \(error.message)")
            }
        }
    }

    /// What the store does while Redis can't be reached.
    ///
    /// - ``failClosed``: admit nothing; every call throws ``KeyStateStoreError`` with code
    ///   ``KeyStateStoreError/Code/unavailable`` (the rotator then fails the acquire with a store error that names
    ///   no key). Safe for any number of replicas.
    /// - ``localFallback(fraction:)``: each replica admits on its own at most `fraction` of each limit. With N
    ///   replicas, the pool may reach N × `fraction` of a limit during the outage (on top of what Redis had
    ///   already counted in the current window): choose `fraction` ≤ 1 / N to stay within the limit.
    ///
    /// Either way the store reconnects with backoff on later calls, and usage recorded in Redis is kept; what a
    /// replica admitted in fallback is added to the calendar windows (daily quotas) and to the strict rolling
    /// windows (at the instants it was used, if still inside them) in Redis once it is back.
    public struct UnavailablePolicy: Hashable, Sendable, CustomStringConvertible {
        enum Wrapped: Hashable, Sendable {
            case failClosed
            case localFallback(fraction: Double)
        }

        let wrapped: Wrapped

        /// Admit nothing while Redis is away.
        public static let failClosed = Self(wrapped: .failClosed)

        /// Admit locally, at most `fraction` (0 < fraction ≤ 1) of each limit per replica.
        public static func localFallback(fraction: Double) -> Self {
            precondition(fraction > 0 && fraction <= 1, "the fallback fraction is in (0, 1]")
            return Self(wrapped: .localFallback(fraction: fraction))
        }

        public var description: String {
            switch self.wrapped {
            case .failClosed: "fail closed"
            case .localFallback(let fraction): "local fallback at \(fraction) of each limit"
            }
        }
    }
}
