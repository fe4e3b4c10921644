public import Foundation
public import KeyRotation
public import KeyRotationHTTP

/// One node API an ``AptosClient`` can send to: a name, a base URL with how keys go on requests
/// (``ProviderProfile``), and the endpoint's key pool (`nil`: keyless).
///
/// ```swift
/// let endpoint = AptosEndpoint.aptosLabs(network: .mainnet, rotator: KeyRotator(keys: keys))
/// ```
public struct AptosEndpoint<C: Clock>: Sendable where C.Duration == Duration {
    /// A short name for messages and results (`aptos`, `nodit`, `own node`).
    public var name: String
    /// Where the endpoint lives, how keys are applied, and how its answers are classified.
    public var profile: ProviderProfile
    /// The endpoint's key pool; `nil` sends without a key (Aptos Labs' per-IP limits, or a user's own node).
    public var rotator: KeyRotator<C>?

    /// Creates an endpoint.
    public init(name: String, profile: ProviderProfile, rotator: KeyRotator<C>?) {
        self.name = name
        self.profile = profile
        self.rotator = rotator
    }

    /// The Aptos Labs gateway: `Authorization: Bearer <key>`; keyless when `rotator` is `nil`.
    ///
    /// - Parameters:
    ///   - network: The network; picks the base URL.
    ///   - baseURL: Overrides the base URL (`APTOS_BASE_URL`); default the network's.
    ///   - rotator: The key pool, or `nil` to send without a key.
    public static func aptosLabs(
        network: AptosNetwork,
        baseURL: URL? = nil,
        rotator: KeyRotator<C>?
    ) -> Self {
        Self(
            name: "aptos",
            profile: Self.aptosProfile(
                name: "Aptos",
                baseURL: baseURL ?? network.aptosLabsBaseURL,
                authentication: .bearer
            ),
            rotator: rotator
        )
    }

    /// A node of the user's own (or any node API at `baseURL`), without a key.
    public static func node(name: String = "node", baseURL: URL) -> Self {
        Self(name: name, profile: Self.aptosProfile(name: name, baseURL: baseURL, authentication: .none), rotator: nil)
    }

    /// A profile that classifies answers with ``AptosClassifier``.
    public static func aptosProfile(
        name: String,
        baseURL: URL,
        authentication: ProviderProfile.Authentication
    ) -> ProviderProfile {
        ProviderProfile(
            name: name,
            baseURL: baseURL,
            authentication: authentication,
            classify: { response, now in AptosClassifier.classify(response, now: now) }
        )
    }
}
