/// Gas unit prices the node suggests: `GET /v1/estimate_gas_price`.
public struct GasEstimate: Decodable, Hashable, Sendable {
    /// A price for transactions that can wait; `nil` when the node omits it.
    public var deprioritizedGasEstimate: Int?
    /// The price for a transaction to be included promptly.
    public var gasEstimate: Int
    /// A price for transactions that should jump ahead; `nil` when the node omits it.
    public var prioritizedGasEstimate: Int?

    /// Creates an estimate.
    public init(deprioritizedGasEstimate: Int?, gasEstimate: Int, prioritizedGasEstimate: Int?) {
        self.deprioritizedGasEstimate = deprioritizedGasEstimate
        self.gasEstimate = gasEstimate
        self.prioritizedGasEstimate = prioritizedGasEstimate
    }

    private enum CodingKeys: String, CodingKey {
        case deprioritizedGasEstimate = "deprioritized_gas_estimate", gasEstimate = "gas_estimate"
        case prioritizedGasEstimate = "prioritized_gas_estimate"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.deprioritizedGasEstimate = try container.decodeIntIfPresent(forKey: .deprioritizedGasEstimate)
        self.gasEstimate = try container.decodeInt(forKey: .gasEstimate)
        self.prioritizedGasEstimate = try container.decodeIntIfPresent(forKey: .prioritizedGasEstimate)
    }
}
