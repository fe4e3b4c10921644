import Foundation
import KeyRotation
import Synchronization

/// `GET /metrics` in the Prometheus text format: per key id (never the key) uses, state, remaining per limit,
/// 429s, failures, latency; per pool waiters and ETA; the gateway's responses by status.
final class GatewayMetrics: Sendable {
    private let provider: String
    private let statuses = Mutex<[Int: Int]>([:])

    init(provider: String) { self.provider = provider }

    /// Counts one response.
    func count(status: Int) { self.statuses.withLock { $0[status, default: 0] += 1 } }

    /// The exposition text for `rotator` (`nil`: keyless).
    func render(_ rotator: KeyRotator<ContinuousClock>?) -> String {
        var lines: [String] = []
        let provider = "provider=\"\(Self.escape(self.provider))\""
        func family(_ name: String, _ type: String, _ help: String) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
        }
        if let rotator {
            let statistics = rotator.statistics()
            let now = rotator.now()
            let keys = statistics.keys.map {
                (key: $0, labels: "\(provider),key_id=\"\(Self.escape($0.id.rawValue))\"")
            }
            family("keyrotation_key_uses_total", "counter", "Requests each key served.")
            for (key, labels) in keys { lines.append("keyrotation_key_uses_total{\(labels)} \(key.uses)") }
            family("keyrotation_key_rate_limited_total", "counter", "429s and spent quotas per key.")
            for (key, labels) in keys {
                lines.append("keyrotation_key_rate_limited_total{\(labels)} \(key.rateLimited)")
            }
            family("keyrotation_key_failures_total", "counter", "Transient failures per key.")
            for (key, labels) in keys { lines.append("keyrotation_key_failures_total{\(labels)} \(key.failures)") }
            family("keyrotation_key_in_flight", "gauge", "Requests on each key now.")
            for (key, labels) in keys { lines.append("keyrotation_key_in_flight{\(labels)} \(key.inFlight)") }
            family("keyrotation_key_state", "gauge", "1 for the key's health state.")
            for (key, labels) in keys {
                lines.append("keyrotation_key_state{\(labels),state=\"\(Self.state(key.state))\"} 1")
            }
            family("keyrotation_key_remaining", "gauge", "Uses left in each limit's window.")
            for (key, labels) in keys {
                for (limit, remaining) in key.remaining {
                    guard let remaining else { continue }
                    lines.append(
                        "keyrotation_key_remaining{\(labels),limit=\"\(Self.escape("\(limit)"))\"} \(remaining)"
                    )
                }
            }
            family("keyrotation_key_latency_seconds", "gauge", "Each key's smoothed latency.")
            for (key, labels) in keys {
                guard let latency = key.latency else { continue }
                lines.append("keyrotation_key_latency_seconds{\(labels)} \(Self.seconds(latency))")
            }
            family("keyrotation_pool_waiters", "gauge", "Requests waiting for a key.")
            lines.append("keyrotation_pool_waiters{\(provider)} \(statistics.waiters)")
            family("keyrotation_pool_eta_seconds", "gauge", "Seconds until a key is free (0: one is free now).")
            let eta = statistics.nextAvailable.map { max(.zero, now.duration(to: $0)) } ?? .zero
            lines.append("keyrotation_pool_eta_seconds{\(provider)} \(Self.seconds(eta))")
        }
        family("keyrotation_gateway_responses_total", "counter", "Responses the gateway sent, by status.")
        for (status, count) in self.statuses.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            lines.append("keyrotation_gateway_responses_total{\(provider),status=\"\(status)\"} \(count)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func state(_ state: KeyHealth.State) -> String {
        switch state {
        case .available: "available"
        case .coolingDown: "cooling_down"
        case .invalid: "invalid"
        case .quotaExhausted: "quota_exhausted"
        case .circuitOpen: "circuit_open"
        case .probing: "probing"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
