/// Which provider the simulation plays: its authentication, its paths and the shape of its bodies.
///
/// - ``virusTotal``: `x-apikey` (required); `/files/`, `/domains/`, `/ip_addresses/`, `/urls/` (under an optional
///   `/api/v3`) answer the `vt_*` fixtures; unknown resources answer 404 `NotFoundError`; 429 is
///   `QuotaExceededError` JSON without `Retry-After`; 401 is `WrongCredentialsError`, or
///   `AuthenticationRequiredError` without a key.
/// - ``aptos``: `Authorization: Bearer <key>`, optional (keyless requests use the anonymous behaviour); every
///   response carries the `X-Aptos-*` ledger headers; 429 is plain text without `Retry-After`;
///   `/v1/transactions` is synthesised from the simulated ledger.
/// - ``nodit``: `X-API-KEY` (required), or the key as the first path segment (`/{key}/v1/…`), never both; the
///   same node API as ``aptos`` (headers spelled `X-APTOS-*`), plus the Web3 Data API
///   (`POST /v1/aptos/{network}/{group}/{operation}`) and the indexer (`POST /v1/graphql`); 429 is
///   `TOO_MANY_REQUESTS` with `Retry-After`, or `EXCEEDED_QUOTA_LIMIT` when a daily or monthly quota runs out.
public struct SimulatedFlavour: Hashable, Sendable, CustomStringConvertible {
    enum Wrapped: Hashable, Sendable { case virusTotal, aptos, nodit }

    let wrapped: Wrapped

    /// VirusTotal API v3.
    public static let virusTotal = Self(wrapped: .virusTotal)
    /// The Aptos Labs node API gateway.
    public static let aptos = Self(wrapped: .aptos)
    /// Nodit: the Aptos node API and the Web3 Data API.
    public static let nodit = Self(wrapped: .nodit)

    /// Whether a request without a key is refused (401) rather than served under the anonymous behaviour.
    public var requiresKey: Bool { self.wrapped != .aptos }

    public var description: String {
        switch self.wrapped {
        case .virusTotal: "virusTotal"
        case .aptos: "aptos"
        case .nodit: "nodit"
        }
    }
}

extension SimulatedProvider {
    /// Which provider the simulation plays; see ``SimulatedFlavour``.
    public typealias Flavour = SimulatedFlavour
}
