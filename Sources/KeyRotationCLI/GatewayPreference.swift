import Foundation
import KeyRotationServer

/// Reads `Prefer: wait=N` (RFC 7240): how long the caller will wait for a key.
enum GatewayPreference {
    /// The wait asked for, at most `maximum`; zero without the preference; a refusal for a malformed one.
    static func wait(_ header: String?, maximum: Duration) -> Result<Duration, RequestRefusal> {
        guard let header else { return .success(.zero) }
        for preference in header.split(separator: ",") {
            let parts = preference.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: [" ", "\t"]) }
            guard parts.first?.lowercased() == "wait" else { continue }
            guard parts.count == 2, let seconds = Int(parts[1]), seconds >= 0, seconds <= 86_400 else {
                return .failure(RequestRefusal(400, "Prefer: wait=N takes whole seconds, for example wait=10"))
            }
            return .success(min(.seconds(seconds), maximum))
        }
        return .success(.zero)
    }
}
