import Aptos
import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationTesting

/// Sends each request to the transport of its host.
struct HostRouter: HTTPTransport {
    let routes: [String: any HTTPTransport]

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let host = request.url.host, let transport = self.routes[host] else {
            throw TransportError(.hostNotAllowed, "no route for \(request.url.host ?? "?")")
        }
        return try await transport.send(request)
    }
}

func rotator(_ keys: [APIKey], clock: TestClock) -> KeyRotator<TestClock> {
    var configuration = KeyRotator<TestClock>.Configuration(strategy: .roundRobin)
    configuration.seed = 5
    return KeyRotator(keys: keys, configuration: configuration, clock: clock)
}
