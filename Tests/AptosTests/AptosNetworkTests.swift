import Aptos
import Foundation
import Testing

@Test(
    "Known network names parse in any case",
    arguments: [("mainnet", AptosNetwork.mainnet), ("Testnet", .testnet), (" DEVNET ", .devnet)]
)
func knownNetwork(name: String, network: AptosNetwork) throws {
    #expect(try AptosNetwork(parsing: name) == network)
}

@Test(arguments: ["foo", "", "main net", "localnet"])
func unknownNetwork(name: String) {
    let error = #expect(throws: AptosUsageError.self) { try AptosNetwork(parsing: name) }
    #expect(error?.code == .unknownNetwork)
    let shown = name.trimmingCharacters(in: .whitespaces)
    #expect(error?.message == "unknown network '\(shown)': use mainnet, testnet or devnet")
}

@Test func networkURLs() {
    #expect(AptosNetwork.mainnet.aptosLabsBaseURL.absoluteString == "https://api.mainnet.aptoslabs.com/v1")
    #expect(AptosNetwork.testnet.aptosLabsBaseURL.absoluteString == "https://api.testnet.aptoslabs.com/v1")
    #expect(AptosNetwork.devnet.aptosLabsBaseURL.absoluteString == "https://api.devnet.aptoslabs.com/v1")
    #expect(AptosNetwork.mainnet.noditBaseURL?.absoluteString == "https://aptos-mainnet.nodit.io/v1")
    #expect(AptosNetwork.testnet.noditBaseURL?.absoluteString == "https://aptos-testnet.nodit.io/v1")
    #expect(AptosNetwork.devnet.noditBaseURL == nil)
    #expect(AptosNetwork.mainnet.chainID == 1)
    #expect(AptosNetwork.testnet.chainID == 2)
    #expect(AptosNetwork.devnet.chainID == nil)
    #expect(AptosNetwork.all.map(\.description) == ["mainnet", "testnet", "devnet"])
}
