import KeyRotationServer
import Testing

@testable import KeyRotationCLI

@Suite struct GatewayPreferenceTests {
    @Test func readsWaitAndCapsIt() {
        #expect(GatewayPreference.wait(nil, maximum: .seconds(300)) == .success(.zero))
        #expect(GatewayPreference.wait("wait=10", maximum: .seconds(300)) == .success(.seconds(10)))
        #expect(GatewayPreference.wait("respond-async, wait=20", maximum: .seconds(300)) == .success(.seconds(20)))
        #expect(GatewayPreference.wait("wait=900", maximum: .seconds(300)) == .success(.seconds(300)))
        #expect(GatewayPreference.wait("return=minimal", maximum: .seconds(300)) == .success(.zero))
    }

    @Test(arguments: ["wait", "wait=", "wait=-1", "wait=1.5", "wait=soon"])
    func malformedWaitIsABadRequest(header: String) {
        guard case .failure(let refusal) = GatewayPreference.wait(header, maximum: .seconds(300)) else {
            Issue.record("accepted \(header)")
            return
        }
        #expect(refusal.status == 400)
    }
}
