public import Aptos
public import Foundation
public import KeyRotation
public import KeyRotationHTTP

extension AptosEndpoint {
    /// Nodit's Aptos node API: `X-API-KEY`, Nodit's classification (429 with `Retry-After` honoured,
    /// `EXCEEDED_QUOTA_LIMIT` parks the key until its quota resets, `AUTHENTICATION_FAILED` quarantines it).
    ///
    /// - Parameters:
    ///   - network: The network; picks the base URL (Nodit serves mainnet and testnet).
    ///   - baseURL: Overrides the base URL (`NODIT_BASE_URL`); required for devnet.
    ///   - rotator: The key pool; Nodit needs a key.
    /// - Returns: The endpoint, or `nil` for a network Nodit does not serve when no `baseURL` is given.
    public static func nodit(network: AptosNetwork, baseURL: URL? = nil, rotator: KeyRotator<C>) -> Self? {
        guard let url = baseURL ?? network.noditBaseURL else { return nil }
        return Self(name: "nodit", profile: Self.noditProfile(baseURL: url), rotator: rotator)
    }

    /// A profile for any Nodit surface at `baseURL`: `X-API-KEY` and ``NoditClassifier``.
    public static func noditProfile(baseURL: URL) -> ProviderProfile {
        ProviderProfile(
            name: "Nodit",
            baseURL: baseURL,
            authentication: .header("X-API-KEY"),
            classify: { response, now in NoditClassifier.classify(response, now: now) }
        )
    }
}
