import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// Maps the simulated provider's answers to outcomes, as the per-provider classifiers do (the bench does not
/// depend on the provider targets): 2xx/404 success, 429 throttled (VirusTotal: quota exceeded), 401/403 invalid,
/// 5xx and resets transient.
enum StatusClassifier {
    static func outcome(status: Int, headers: HTTPHeaders, flavour: SimulatedFlavour, latency: Duration) -> Outcome {
        switch status {
        case 200..<300, 404: return .success(latency: latency)
        case 429:
            if flavour == .virusTotal { return .quotaExhausted(resetAt: nil) }
            let retryAfter = headers["Retry-After"].flatMap { Int64($0) }.map { Duration.seconds($0) }
            return .rateLimited(retryAfter: retryAfter)
        case 401, 403: return .invalidKey
        default: return .transientFailure
        }
    }

    /// A request the provider answers cheaply, with the key where the flavour expects it.
    static func request(secret: String, flavour: SimulatedFlavour) -> HTTPRequest {
        switch flavour {
        case .virusTotal:
            return HTTPRequest(url: Self.virusTotalURL, headers: ["x-apikey": secret])
        case .nodit:
            return HTTPRequest(url: Self.nodeURL, headers: ["X-API-KEY": secret])
        default:
            return HTTPRequest(url: Self.nodeURL, headers: ["Authorization": "Bearer " + secret])
        }
    }

    /// An IOC the simulated VirusTotal does not know: a 404, which spends quota like a hit.
    static let unknownDomain = "bench.invalid"

    private static let virusTotalURL = URL(string: "https://www.virustotal.com/api/v3/domains/\(unknownDomain)")!
    private static let nodeURL = URL(string: "https://api.mainnet.aptoslabs.com/v1/-/healthy")!
}
