public import Foundation
public import KeyRotation
public import KeyRotationHTTP
public import KeyRotationStore

extension VirusTotalClient {
    /// How a client behaves; every field has a default, so `Configuration()` is the free tier without a store.
    public struct Configuration: Sendable {
        /// The public API's base URL.
        public static var defaultBaseURL: URL { URL(string: "https://www.virustotal.com/api/v3")! }

        /// Where the API lives. Default `https://www.virustotal.com/api/v3`; plain `http` only to a loopback host.
        public var baseURL: URL = Self.defaultBaseURL
        /// Limits given to every key that has none of its own. Default the public tier: at most 4 calls in any
        /// 60 s and 500 per UTC day.
        public var perKeyLimits: [RateLimit] = [.perMinute(4), .perDay(500)]
        /// How keys are picked. Default ``SelectionStrategy/mostRemainingQuota``.
        public var strategy: SelectionStrategy = .mostRemainingQuota
        /// Cooldowns and quarantine of keys. Default ``HealthPolicy/default``.
        public var health: HealthPolicy = .default
        /// The persistent store: reports, the request queue, and key usage shared by every process using the same
        /// file (so 500/day holds across runs). Default `nil`: in-memory only, and nothing can be queued.
        public var storage: KeyRotationStorage? = nil
        /// How long an answer (report or not found) is served from the store or memory. Default 45 minutes;
        /// zero keeps answers forever. ``reportTTL(environment:)`` reads it from `VT_REPORT_TTL`.
        public var reportTTL: Duration = .seconds(45 * 60) {
            willSet { precondition(newValue >= .zero, "reportTTL can't be negative") }
        }
        /// Answers kept in memory (least recently used go first). Default 1,024; 0 turns the memory cache off.
        public var memoryCacheEntries: Int = 1024
        /// How long a lookup may wait for a key and retry when its options set no wait. Default 120 s. When it passes
        /// while the pool frees a key within another such span (the keys are busy, not spent), the lookup waits
        /// again, up to 30 times.
        public var lookupTimeout: Duration = .seconds(120)
        /// How long a lookup that queues when every key is limited (``LookupOptions/queuesWhenLimited``) may wait
        /// for a key after one refused it unexpectedly (a 429 its limits did not predict), when its options allow
        /// less: past it, the lookup is queued. Default 10 s (the backoffs of its retries fit in it).
        public var queueingWait: Duration = .seconds(10)
        /// Attempts per lookup that may end in a transient failure (5xx, reset, timeout), the first included.
        /// Default 2: one automatic retry, after a backoff and on another key when there is one. More would let one
        /// bad indicator trip a key's circuit breaker (5 consecutive failures) and stall a batch.
        public var maximumAttempts: Int = 2
        /// Timeouts, size cap and hosts of the HTTP transport (the base URL's host is added). Default: 30 s in all,
        /// 1 MiB bodies, and no shorter wait for the response head, because a lookup VirusTotal is slow to answer
        /// has reached it and spends quota: giving up after a few seconds and asking again would spend a second
        /// lookup (a quarter of a free key's minute) for the same answer. On Linux (`CurlTransport`) the connect
        /// timeout bounds the connection alone: 5 s. Elsewhere (`URLSessionTransport`) it bounds the head: 20 s.
        #if os(Linux)
            public var transportPolicy = TransportPolicy(connectTimeout: .seconds(5))
        #else
            public var transportPolicy = TransportPolicy(connectTimeout: .seconds(20))
        #endif
        /// The seed of the pool's and the backoff's randomness. Default random.
        public var seed: UInt64 = .random(in: .min ... .max)

        /// The defaults: the public tier's limits, no store.
        public init() {}

        /// The public API's quota: 4 lookups a minute and 500 a day per key, no store.
        public static var freeTier: Self { Self() }

        /// The base URL from `VIRUSTOTAL_BASE_URL`, or ``defaultBaseURL`` when it is unset or empty.
        ///
        /// - Parameter environment: The variables to read; default the process's.
        /// - Throws: ``VirusTotalError`` with ``VirusTotalError/Code/transport`` when the value is not an absolute
        ///   `http(s)` URL.
        public static func baseURL(
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(VirusTotalError) -> URL {
            guard let text = environment["VIRUSTOTAL_BASE_URL"], !text.isEmpty else { return Self.defaultBaseURL }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
                scheme == "https" || scheme == "http",
                url.host?.isEmpty == false
            else {
                throw VirusTotalError(
                    .transport,
                    "VIRUSTOTAL_BASE_URL is not an absolute http(s) URL: set it like https://www.virustotal.com/api/v3"
                )
            }
            return url
        }

        /// The longest report TTL ``parseTTL(_:)`` accepts: 3,650 days.
        public static var maximumReportTTL: Duration { .seconds(3_650 * 86_400) }

        /// The report TTL from `VT_REPORT_TTL`, or `nil` when it is unset or empty (keep the default).
        ///
        /// - Parameter environment: The variables to read; default the process's.
        /// - Throws: ``VirusTotalError`` with ``VirusTotalError/Code/invalidConfiguration`` when the value is not a
        ///   duration ``parseTTL(_:)`` reads (the message never repeats the value).
        public static func reportTTL(
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) throws(VirusTotalError) -> Duration? {
            guard let text = environment["VT_REPORT_TTL"], !text.isEmpty else { return nil }
            guard let ttl = Self.parseTTL(text) else {
                throw VirusTotalError(.invalidConfiguration, "VT_REPORT_TTL is not a duration: " + Self.ttlForms)
            }
            return ttl
        }

        /// What ``parseTTL(_:)`` accepts, for messages.
        public static var ttlForms: String {
            "write a whole number with a unit s, m (or min), h or d, such as 45m, 2h, 1h30m or 7d; "
                + "a bare number is seconds; 0 keeps answers forever; at most 3650d"
        }

        /// Reads a report TTL: whole numbers with units `s`, `m`/`min`, `h`, `d` (and their long forms), summed
        /// (`1h30m`); a bare number is seconds; `0` means forever.
        ///
        /// - Parameter text: The text, such as `45m`.
        /// - Returns: The duration, or `nil` when the text is not one or is over ``maximumReportTTL``.
        public static func parseTTL(_ text: String) -> Duration? {
            var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
            guard !rest.isEmpty else { return nil }
            var seconds: Int64 = 0
            let limit = Int64(Self.maximumReportTTL.components.seconds)
            while !rest.isEmpty {
                let digits = rest.prefix { ("0"..."9").contains($0) }
                guard !digits.isEmpty, digits.count <= 10, let value = Int64(digits) else { return nil }
                rest = rest.dropFirst(digits.count)
                let unit = rest.prefix { ("a"..."z").contains($0) }
                rest = rest.dropFirst(unit.count)
                let scale: Int64
                switch unit {
                case "", "s", "sec", "secs", "second", "seconds": scale = 1
                case "m", "min", "mins", "minute", "minutes": scale = 60
                case "h", "hr", "hrs", "hour", "hours": scale = 3_600
                case "d", "day", "days": scale = 86_400
                default: return nil
                }
                if unit.isEmpty && !rest.isEmpty { return nil }  // "45 m" or "4.5h"
                seconds += value * scale  // at most 9,999,999,999 × 86,400: no overflow
                guard seconds <= limit else { return nil }
            }
            return .seconds(seconds)
        }
    }
}
