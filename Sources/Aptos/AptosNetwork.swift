public import Foundation

/// An Aptos network, with the base URLs of the node API at Aptos Labs and at Nodit.
public struct AptosNetwork: Hashable, Sendable, CustomStringConvertible {
    private enum Wrapped: Hashable, Sendable {
        case mainnet, testnet, devnet
    }
    private let wrapped: Wrapped

    private init(wrapped: Wrapped) { self.wrapped = wrapped }

    /// Aptos mainnet (chain id 1).
    public static let mainnet = Self(wrapped: .mainnet)
    /// Aptos testnet (chain id 2).
    public static let testnet = Self(wrapped: .testnet)
    /// Aptos devnet (its chain id changes at each reset).
    public static let devnet = Self(wrapped: .devnet)

    /// Every network the SDK knows, in the order they are listed to users.
    public static let all: [AptosNetwork] = [.mainnet, .testnet, .devnet]

    /// Parses a network name: `mainnet`, `testnet` or `devnet` (any case, surrounding whitespace ignored).
    ///
    /// - Throws: ``AptosUsageError`` with code ``AptosUsageError/Code/unknownNetwork`` for any other name.
    public init(parsing name: String) throws {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let network = Self.all.first(where: { $0.name == trimmed.lowercased() }) else {
            let shown = trimmed.count > 40 ? String(trimmed.prefix(40)) + "…" : trimmed
            throw AptosUsageError(.unknownNetwork, "unknown network '\(shown)': use mainnet, testnet or devnet")
        }
        self = network
    }

    /// The network's name: `mainnet`, `testnet` or `devnet`.
    public var name: String {
        switch self.wrapped {
        case .mainnet: "mainnet"
        case .testnet: "testnet"
        case .devnet: "devnet"
        }
    }

    /// The chain id the network's nodes report, or `nil` for devnet, whose id changes at each reset.
    public var chainID: Int? {
        switch self.wrapped {
        case .mainnet: 1
        case .testnet: 2
        case .devnet: nil
        }
    }

    /// The Aptos Labs node API: `https://api.{network}.aptoslabs.com/v1`.
    public var aptosLabsBaseURL: URL {
        URL(string: "https://api.\(self.name).aptoslabs.com/v1")!
    }

    /// Nodit's node API, `https://aptos-{network}.nodit.io/v1` (key in the `X-API-KEY` header), or `nil` for
    /// devnet, which Nodit does not serve.
    public var noditBaseURL: URL? {
        switch self.wrapped {
        case .mainnet, .testnet: URL(string: "https://aptos-\(self.name).nodit.io/v1")!
        case .devnet: nil
        }
    }

    /// The name.
    public var description: String { self.name }
}
