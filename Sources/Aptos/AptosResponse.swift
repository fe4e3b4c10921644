public import KeyRotation

/// A decoded answer of the node API with what came with it: the `X-Aptos-*` ledger headers, the endpoint that
/// answered and the key it used.
public struct AptosResponse<Value: Sendable>: Sendable {
    /// The decoded body.
    public var value: Value
    /// The response's `X-Aptos-*` headers (chain id, ledger version, oldest version, block height, epoch, time).
    public var ledger: LedgerHeaders
    /// The ``AptosEndpoint/name`` of the endpoint that answered.
    public var endpoint: String
    /// The key that got the answer (`nil` when keyless).
    public var keyID: KeyID?
    /// Attempts the answer took on that endpoint.
    public var attempts: Int

    /// Creates a response.
    public init(value: Value, ledger: LedgerHeaders, endpoint: String, keyID: KeyID? = nil, attempts: Int = 1) {
        self.value = value
        self.ledger = ledger
        self.endpoint = endpoint
        self.keyID = keyID
        self.attempts = attempts
    }

    /// The same response with another value.
    public func map<T: Sendable>(_ transform: (Value) throws -> T) rethrows -> AptosResponse<T> {
        AptosResponse<T>(
            value: try transform(self.value),
            ledger: self.ledger,
            endpoint: self.endpoint,
            keyID: self.keyID,
            attempts: self.attempts
        )
    }
}
