import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Nodit
import Testing

@Suite("Nodit Web3 Data API client")
struct NoditWeb3ClientTests {
    let clock = TestClock()
    let address = try! AptosAddress(parsing: "0xabc")

    private func client(_ provider: SimulatedProvider<TestClock>) throws -> NoditWeb3Client<TestClock> {
        try #require(
            NoditWeb3Client(
                network: .mainnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock),
                transport: provider,
                clock: self.clock
            )
        )
    }

    private func provider() -> SimulatedProvider<TestClock> {
        SimulatedProvider(clock: self.clock, flavour: .nodit, keys: ["nodit-secret-1": .healthy(label: "nodit-1")])
    }

    @Test func everyOperationPostsJSONAndDecodes() async throws {
        let provider = self.provider()
        let web3 = try self.client(provider)
        let tokens = try await web3.tokensOwned(by: self.address, pageSize: 50)
        #expect(!tokens.items.isEmpty)
        let changes = try await web3.tokenBalanceChanges(of: self.address, fromDate: "2025-01-01T00:00:00Z")
        #expect(!changes.items.isEmpty)
        let transactions = try await web3.transactions(of: self.address, relation: .from, withBalanceChanges: true)
        #expect(!transactions.items.isEmpty)
        #expect(transactions.cursor != nil)
        let block = try await web3.block("12345")
        #expect(block.height > 0)
        #expect(
            provider.log.map(\.path) == [
                "/v1/aptos/mainnet/token/getTokensOwnedByAccount",
                "/v1/aptos/mainnet/token/getTokenBalanceChangesByAccount",
                "/v1/aptos/mainnet/blockchain/getTransactionsByAccount",
                "/v1/aptos/mainnet/blockchain/getBlockByHashOrNumber",
            ]
        )
        #expect(provider.log.allSatisfy { $0.method == .post && $0.keyID == "nodit-1" })
    }

    @Test func bodyCarriesTheAddressPageSizeAndCursor() async throws {
        let seen = Locked<[Data]>([])
        let fixture = try Fixture.data("nodit_web3_tokens_owned_by_account")
        let transport = CapturingTransport { request in
            seen.withLock { $0.append(request.body ?? Data()) }
            #expect(request.headers["X-API-KEY"] == "nodit-secret-1")
            #expect(request.headers["Content-Type"] == "application/json")
            return HTTPResponse(status: 200, body: fixture)
        }
        let web3 = try #require(
            NoditWeb3Client(
                network: .testnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock),
                transport: transport,
                clock: self.clock
            )
        )
        _ = try await web3.tokensOwned(by: self.address, pageSize: 7, cursor: "next-page")
        let body = try JSONDecoder().decode(JSONValue.self, from: try #require(seen.value.first))
        #expect(body["accountAddress"]?.stringValue == self.address.longForm)
        #expect(body["rpp"] == .integer(7))
        #expect(body["cursor"]?.stringValue == "next-page")
    }

    @Test func allFollowsCursorsUntilTheLastPage() async throws {
        let pages = Locked(0)
        let transport = CapturingTransport { request in
            let number = pages.withLock { count -> Int in
                count += 1
                return count
            }
            let cursor = number < 3 ? #","cursor":"c\#(number)""# : ""
            let body =
                #"{"rpp":1\#(cursor),"items":[{"transactionHash":"0x\#(number)","transactionVersion":\#(number),"success":true}]}"#
            return HTTPResponse(status: 200, body: Data(body.utf8))
        }
        let web3 = try #require(
            NoditWeb3Client(
                network: .mainnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock),
                transport: transport,
                clock: self.clock
            )
        )
        let address = self.address
        let all = try await web3.all { cursor in try await web3.transactions(of: address, pageSize: 1, cursor: cursor) }
        #expect(all.map(\.transactionVersion) == [1, 2, 3])
    }

    @Test func noditErrorsAreTyped() async throws {
        let transport = CapturingTransport { _ in
            HTTPResponse(status: 400, body: try! Fixture.data("nodit_error_invalid_parameter"))
        }
        let web3 = try #require(
            NoditWeb3Client(
                network: .mainnet,
                rotator: rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock),
                transport: transport,
                clock: self.clock
            )
        )
        let error = await #expect(throws: NoditAPIError.self) { _ = try await web3.block("x") }
        #expect(error?.code == .invalidParameter)
        #expect(error?.status == 400)
    }

    @Test func quotaExhaustedParksTheKeyUntilTheReset() async throws {
        let provider = SimulatedProvider(
            clock: self.clock,
            flavour: .nodit,
            keys: ["nodit-secret-1": SimulatedKeyBehaviour(label: "nodit-1", limits: [.fixedWindow(2, per: .day)])]
        )
        let keyRotator = rotator([APIKey("nodit-secret-1", label: "nodit-1")], clock: self.clock)
        let web3 = try #require(
            NoditWeb3Client(network: .mainnet, rotator: keyRotator, transport: provider, clock: self.clock)
        )
        _ = try await web3.block("1")
        _ = try await web3.block("2")
        let error = await #expect(throws: RotatingClientError.self) {
            _ = try await web3.block("3", deadline: self.clock.now.advanced(by: .seconds(60)))
        }
        #expect(error?.code == .allKeysLimited)
        #expect(error?.providerCode == "EXCEEDED_QUOTA_LIMIT")
        let reset = try #require(error?.eta)
        #expect(
            reset
                == Timestamp(
                    nanosecondsSinceEpoch: (self.clock.now.nanosecondsSinceEpoch / 86_400_000_000_000 + 1)
                        * 86_400_000_000_000
                )
        )
        #expect(provider.count(status: 429) == 1)
    }
}

/// A transport that answers from a closure.
struct CapturingTransport: HTTPTransport {
    let answer: @Sendable (HTTPRequest) -> HTTPResponse

    init(_ answer: @escaping @Sendable (HTTPRequest) -> HTTPResponse) { self.answer = answer }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse { self.answer(request) }
}
