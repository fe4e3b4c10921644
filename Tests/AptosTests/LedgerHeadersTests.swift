import Aptos
import KeyRotation
import KeyRotationHTTP
import Testing

@Test func readsEveryHeaderInAnyCase() {
    let headers: HTTPHeaders = [
        "X-APTOS-CHAIN-ID": "1",
        "x-aptos-ledger-version": "3665938240",
        "X-Aptos-Ledger-Oldest-Version": "0",
        "X-APTOS-LEDGER-TIMESTAMPUSEC": "1762134259012345",
        "X-Aptos-Epoch": "13473",
        "X-Aptos-Block-Height": "477445098",
        "x-APTOS-oldest-block-height": "12",
        "X-Aptos-Cursor": "0x1::account::Account",
        "X-Aptos-Gas-Used": "7",
    ]
    let ledger = LedgerHeaders(headers)
    #expect(ledger.chainID == 1)
    #expect(ledger.ledgerVersion == 3_665_938_240)
    #expect(ledger.oldestLedgerVersion == 0)
    #expect(ledger.ledgerTimestampMicroseconds == 1_762_134_259_012_345)
    #expect(ledger.ledgerTimestamp == Timestamp(nanosecondsSinceEpoch: 1_762_134_259_012_345_000))
    #expect(ledger.epoch == 13473)
    #expect(ledger.blockHeight == 477_445_098)
    #expect(ledger.oldestBlockHeight == 12)
    #expect(ledger.cursor == "0x1::account::Account")
    #expect(ledger.gasUsed == 7)
    #expect(!ledger.isEmpty)
}

@Test func malformedValuesAreNil() {
    let headers: HTTPHeaders = [
        "X-Aptos-Chain-Id": "one",
        "X-Aptos-Ledger-Version": "-5",
        "X-Aptos-Ledger-Oldest-Version": "18446744073709551616",  // UInt64.max + 1
        "X-Aptos-Ledger-TimestampUsec": "18446744073709551615",  // out of Timestamp's range
        "X-Aptos-Epoch": "",
        "X-Aptos-Block-Height": "12.5",
        "X-Aptos-Oldest-Block-Height": "0x10",
        "X-Aptos-Cursor": "  ",
    ]
    let ledger = LedgerHeaders(headers)
    #expect(ledger.chainID == nil)
    #expect(ledger.ledgerVersion == nil)
    #expect(ledger.oldestLedgerVersion == nil)
    #expect(ledger.ledgerTimestampMicroseconds == .max)
    #expect(ledger.ledgerTimestamp == nil)
    #expect(ledger.epoch == nil)
    #expect(ledger.blockHeight == nil)
    #expect(ledger.oldestBlockHeight == nil)
    #expect(ledger.cursor == nil)
}

@Test func surroundingSpacesAreIgnoredAndMissingHeadersAreNil() {
    let ledger = LedgerHeaders(HTTPResponse(status: 200, headers: ["X-Aptos-Ledger-Version": " 42 "]))
    #expect(ledger == LedgerHeaders(ledgerVersion: 42))
    #expect(LedgerHeaders(HTTPHeaders()).isEmpty)
}
