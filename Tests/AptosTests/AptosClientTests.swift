import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting
import Testing

@Suite("AptosClient against the simulated gateway")
struct AptosClientTests {
    let clock = TestClock()

    @Test func ledgerInfoAndHeadersAreParsed() async throws {
        let provider = aptosProvider(
            clock: self.clock,
            ledger: SimulatedLedger(chainID: 1, headVersion: 5_000, oldestVersion: 10)
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        let info = try await client.ledgerInfo()
        #expect(info.value.ledgerVersion == 5_000)
        #expect(info.value.oldestLedgerVersion == 10)
        #expect(info.ledger.chainID == 1)
        #expect(info.ledger.ledgerVersion == 5_000)
        #expect(info.ledger.oldestLedgerVersion == 10)
        #expect(info.ledger.blockHeight == 5_000 / 8)
        #expect(info.ledger.epoch != nil)
        #expect(info.ledger.ledgerTimestampMicroseconds != nil)
        #expect(info.endpoint == "aptos")
        #expect(info.keyID == "aptos-1")
        let request = try #require(provider.log.first)
        #expect(request.path == "/v1")
    }

    @Test func keyGoesInTheBearerHeader() async throws {
        let transport = ScriptedTransport { _ in HTTPResponse(status: 200, body: try! Fixture.data("aptos_ledger_info"))
        }
        let client = aptosClient(clock: self.clock, transport: transport)
        _ = try await client.ledgerInfo()
        #expect(transport.requests.first?.headers["Authorization"] == "Bearer \(aptosSecrets[0])")
    }

    @Test func keylessClientSendsNoCredential() async throws {
        let transport = ScriptedTransport { _ in HTTPResponse(status: 200, body: try! Fixture.data("aptos_ledger_info"))
        }
        let client = aptosClient(clock: self.clock, transport: transport, keyless: true)
        let info = try await client.ledgerInfo()
        #expect(info.keyID == nil)
        #expect(transport.requests.first?.headers["Authorization"] == nil)
    }

    @Test func everyEndpointDecodes() async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        let address = try AptosAddress(parsing: "0x1")
        let account = try await client.account(address)
        #expect(account.value.sequenceNumber > 0 || account.value.sequenceNumber == 0)
        let resources = try await client.accountResources(address)
        #expect(!resources.value.isEmpty)
        let resource = try await client.accountResource(address, type: "0x1::account::Account")
        #expect(resource.value.type.contains("Account"))
        let transactions = try await client.transactions(start: 100, limit: 10)
        #expect(transactions.value.map(\.version) == (100..<110).map { Optional($0) })
        let byVersion = try await client.transaction(byVersion: 42)
        #expect(byVersion.value.version == 42)
        let byHash = try await client.transaction(byHash: "0xabc")
        #expect(byHash.value.userFields != nil)
        let accountTransactions = try await client.accountTransactions(address, start: 0, limit: 2)
        #expect(!accountTransactions.value.isEmpty)
        let block = try await client.block(height: 1, withTransactions: true)
        #expect(block.value.transactions?.isEmpty == false)
        let bare = try await client.block(containingVersion: 8, withTransactions: false)
        #expect(bare.value.transactions == nil)
        let events = try await client.events(address, creationNumber: 3, limit: 10)
        #expect(!events.value.isEmpty)
        let view = try await client.view(
            ViewRequest(
                function: "0x1::coin::balance",
                typeArguments: ["0x1::aptos_coin::AptosCoin"],
                arguments: [.string("0x1")]
            )
        )
        #expect(view.value.count == 1)
        let gas = try await client.estimateGasPrice()
        #expect(gas.value.gasEstimate > 0)
        let paths = provider.log.map(\.path)
        #expect(paths.contains("/v1/accounts/\(address.longForm)/resource/0x1::account::Account"))
        #expect(provider.log.contains { $0.method == .post && $0.path == "/v1/view" })
    }

    @Test func structTagsArePercentEncoded() {
        #expect(
            AptosClient<TestClock>.encodeSegment("0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>")
                == "0x1%3A%3Acoin%3A%3ACoinStore%3C0x1%3A%3Aaptos_coin%3A%3AAptosCoin%3E"
        )
    }

    @Test func resourcesFollowTheCursorHeader() async throws {
        let page = String(decoding: try Fixture.data("aptos_account_resources"), as: UTF8.self)
        let transport = ScriptedTransport { request in
            let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let start = query.first { $0.name == "start" }?.value
            var headers: HTTPHeaders = ["X-Aptos-Ledger-Version": "77"]
            switch start {
            case nil: headers.add(name: "X-Aptos-Cursor", value: "0xcursor1")
            case "0xcursor1": headers.add(name: "X-Aptos-Cursor", value: "0xcursor2")
            default: break
            }
            return HTTPResponse(status: 200, headers: headers, body: Data(page.utf8))
        }
        let client = aptosClient(clock: self.clock, transport: transport)
        let single = try JSONDecoder().decode([AccountResource].self, from: Data(page.utf8))
        let all = try await client.accountResources(try AptosAddress(parsing: "0x1"), pageSize: 2)
        #expect(all.value.count == single.count * 3)
        #expect(transport.requests.count == 3)
        // Later pages are read at the first page's version, so the list is consistent.
        let queries = transport.requests.map { $0.url.query ?? "" }
        #expect(!queries[0].contains("ledger_version"))
        #expect(queries[1].contains("ledger_version=77") && queries[1].contains("start=0xcursor1"))
        #expect(queries[2].contains("start=0xcursor2"))
    }

    @Test func modulesDecode() async throws {
        let body = #"[{"bytecode":"0xa11ceb0b","abi":{"address":"0x1","name":"coin"}},{"bytecode":"0x00"}]"#
        let transport = ScriptedTransport { _ in HTTPResponse(status: 200, body: Data(body.utf8)) }
        let client = aptosClient(clock: self.clock, transport: transport)
        let modules = try await client.accountModules(try AptosAddress(parsing: "0x1"))
        #expect(modules.value.count == 2)
        #expect(modules.value[0].abi?["name"]?.stringValue == "coin")
        #expect(transport.requests.first?.url.path.hasSuffix("/modules") == true)
    }

    @Test func notFoundIsATypedErrorAndNotRetried() async throws {
        let provider = SimulatedProvider(
            clock: self.clock,
            flavour: .aptos,
            keys: [aptosSecrets[0]: .healthy(label: "aptos-1")],
            unknownResources: ["0x" + String(repeating: "0", count: 63) + "2"]
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        let error = await #expect(throws: AptosAPIError.self) {
            _ = try await client.account(try AptosAddress(parsing: "0x2"))
        }
        #expect(error?.code == .accountNotFound)
        #expect(error?.status == 404)
        #expect(error?.ledger.ledgerVersion != nil)
        #expect(provider.totalRequests == 1)
    }

    @Test("A limit outside 1…100 is refused before sending", arguments: [0, 101])
    func limitOutOfRange(limit: Int) async throws {
        let provider = aptosProvider(clock: self.clock)
        let client = aptosClient(clock: self.clock, transport: provider)
        let error = await #expect(throws: AptosClientError.self) {
            _ = try await client.transactions(start: 0, limit: limit)
        }
        #expect(error?.code == .invalidArgument)
        #expect(provider.totalRequests == 0)
    }

    @Test func prunedVersionNamesTheOldestVersion() async throws {
        let provider = aptosProvider(
            clock: self.clock,
            ledger: SimulatedLedger(headVersion: 10_000, oldestVersion: 2_000)
        )
        let client = aptosClient(clock: self.clock, transport: provider)
        let error = await #expect(throws: AptosAPIError.self) {
            _ = try await client.transactions(start: 5, limit: 100)
        }
        #expect(error?.isPruned == true)
        #expect(error?.status == 410)
        #expect(error?.oldestLedgerVersion == 2_000)
        #expect(error?.description.contains("2000") == true)
        #expect(provider.totalRequests == 1)
    }

    /// A pruned answer that names an archival endpoint on the node's own site is asked there once, with the same
    /// pool (the key goes to the same site only); the path and query move under the archival endpoint's path.
    @Test(arguments: [
        ("https://archive.mainnet.aptoslabs.com/v1", true),
        ("https://archive.mainnet.aptoslabs.com/v1/", true),
        ("https://archive.example.net/v1", false),  // another site: never followed
        ("http://archive.mainnet.aptoslabs.com/v1", false),  // not the node's scheme
    ])
    func archivalEndpointOnTheSameSiteIsAskedOnce(archival: String, follows: Bool) async throws {
        let pruned =
            #"{"error_code":"version_pruned","message":"Ledger version(5) has been pruned","#
            + #""oldest_ledger_version":"2000","archival_endpoint":"\#(archival)"}"#
        let page = try Fixture.data("aptos_transactions")
        let transport = ScriptedTransport { request in
            request.url.host == "api.mainnet.aptoslabs.com"
                ? HTTPResponse(status: 410, body: Data(pruned.utf8)) : HTTPResponse(status: 200, body: page)
        }
        var configuration = AptosClient<TestClock>.Configuration()
        configuration.followsArchivalEndpoint = true
        let client = aptosClient(clock: self.clock, transport: transport, configuration: configuration)
        if follows {
            let answer = try await client.transactions(start: 5, limit: 2)
            #expect(!answer.value.isEmpty)
            #expect(answer.endpoint.hasSuffix("(archival)"))
            let requests = transport.requests
            #expect(requests.count == 2)
            #expect(
                requests.last?.url.absoluteString
                    == "https://archive.mainnet.aptoslabs.com/v1/transactions?start=5&limit=2"
            )
            // A key of the pool went along (the same site); which one is the rotation's choice.
            #expect(aptosSecrets.contains { requests.last?.headers["Authorization"] == "Bearer \($0)" })
        } else {
            let error = await #expect(throws: AptosAPIError.self) {
                _ = try await client.transactions(start: 5, limit: 2)
            }
            #expect(error?.isPruned == true)
            #expect(transport.requests.count == 1)
        }
    }

    /// The archival endpoint pruned the data too: asked once, and its answer says it was the archival one (its own
    /// "full history" pointer, if any, is not repeated as advice).
    @Test func anArchivalEndpointThatPrunedTooIsAskedOnceAndSaysSo() async throws {
        let pruned =
            #"{"error_code":"version_pruned","message":"pruned","oldest_ledger_version":"2000","#
            + #""archival_endpoint":"https://archive.mainnet.aptoslabs.com/v1"}"#
        let transport = ScriptedTransport { _ in HTTPResponse(status: 410, body: Data(pruned.utf8)) }
        var configuration = AptosClient<TestClock>.Configuration()
        configuration.followsArchivalEndpoint = true
        let client = aptosClient(clock: self.clock, transport: transport, configuration: configuration)
        let error = await #expect(throws: AptosAPIError.self) { _ = try await client.transactions(start: 5, limit: 2) }
        #expect(transport.requests.count == 2)
        #expect(error?.isFromArchivalEndpoint == true)
        #expect(error?.description.contains("archival endpoint's answer") == true)
        #expect(error?.description.contains("full history") == false)
    }

    @Test func archivalEndpointIsNotFollowedByDefault() async throws {
        let pruned =
            #"{"error_code":"version_pruned","message":"pruned","oldest_ledger_version":"2000","#
            + #""archival_endpoint":"https://archive.mainnet.aptoslabs.com/v1"}"#
        let transport = ScriptedTransport { _ in HTTPResponse(status: 410, body: Data(pruned.utf8)) }
        let client = aptosClient(clock: self.clock, transport: transport)
        let error = await #expect(throws: AptosAPIError.self) { _ = try await client.transactions(start: 5, limit: 2) }
        #expect(error?.archivalEndpoint?.host == "archive.mainnet.aptoslabs.com")
        #expect(transport.requests.count == 1)
    }

    @Test func siteIsTheLastTwoLabelsOrTheAddress() {
        #expect(AptosClient<TestClock>.site(of: "api.mainnet.aptoslabs.com") == "aptoslabs.com")
        #expect(AptosClient<TestClock>.site(of: "aptoslabs.com") == "aptoslabs.com")
        #expect(AptosClient<TestClock>.site(of: "127.0.0.1") == "127.0.0.1")
        #expect(AptosClient<TestClock>.site(of: "::1") == "::1")
    }

    @Test func vmErrorCodeIsKept() async throws {
        let body = #"{"message":"Move abort","error_code":"invalid_input","vm_error_code":4016}"#
        let transport = ScriptedTransport { _ in HTTPResponse(status: 400, body: Data(body.utf8)) }
        let client = aptosClient(clock: self.clock, transport: transport)
        let error = await #expect(throws: AptosAPIError.self) {
            _ = try await client.view(ViewRequest(function: "0x1::m::f"))
        }
        #expect(error?.vmErrorCode == 4016)
        #expect(error?.code == .invalidInput)
        #expect(transport.requests.count == 1)
    }

    @Test func unknownTransactionTypesDoNotFailThePage() async throws {
        let body = """
            [{"type":"user_transaction_v9","version":"1","hash":"0x1","success":true,"vm_status":"ok",
              "gas_used":"0","timestamp":"1","changes":[],"events":[]},
             {"type":"state_checkpoint_transaction","version":"2","hash":"0x2","success":true,"vm_status":"ok",
              "gas_used":"0","timestamp":"1","changes":[]}]
            """
        let transport = ScriptedTransport { _ in HTTPResponse(status: 200, body: Data(body.utf8)) }
        let client = aptosClient(clock: self.clock, transport: transport)
        let page = try await client.transactions(start: 1, limit: 2)
        #expect(page.value.count == 2)
        #expect(page.value[0].kind == .unknown(type: "user_transaction_v9"))
        #expect(page.value[0].version == 1)
    }
}
