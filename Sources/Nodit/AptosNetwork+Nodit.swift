public import Aptos
public import Foundation

extension AptosNetwork {
    /// The base of Nodit's Web3 Data API for the network, `https://web3.nodit.io/v1/aptos/{network}`, or `nil` for
    /// devnet. Operations are `POST {base}/{group}/{operation}`, e.g. `…/blockchain/getTransactionsByAccount`.
    public var noditWeb3BaseURL: URL? {
        self.noditBaseURL == nil ? nil : URL(string: "https://web3.nodit.io/v1/aptos/\(self.name)")!
    }

    /// Nodit's Aptos Indexer GraphQL endpoint, `https://aptos-mainnet.nodit.io/v1/graphql`: mainnet only.
    public var noditIndexerGraphQLURL: URL? {
        self == .mainnet ? URL(string: "https://aptos-mainnet.nodit.io/v1/graphql")! : nil
    }
}
