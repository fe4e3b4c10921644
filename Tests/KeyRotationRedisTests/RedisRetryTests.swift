import Foundation
import Glibc
import KeyRotation
import KeyRotationRedis
import Synchronization
import Testing

/// A loopback proxy in front of a Redis that relays every connection, except that the first command containing
/// `trigger` reaches Redis and runs there, but its reply is dropped and the client's connection closed: a reply
/// lost with the connection. Bounded: each relay ends after 5 s without traffic, the listener after 4 clients.
final class ReplyDroppingProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let dropped = Mutex(false)

    /// Whether the trigger's reply was dropped.
    var hasDropped: Bool { self.dropped.withLock { $0 } }

    init(upstream: RedisEndpoint, trigger: String) throws {
        let (descriptor, port) = try loopbackListener()
        self.listener = descriptor
        self.port = port
        let thread = Thread { [self] in
            for _ in 0..<4 {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 5_000) > 0 else { return }
                let client = accept(descriptor, nil, nil)
                guard client >= 0 else { return }
                let relay = Thread { self.relay(client, upstream: upstream, trigger: Array(trigger.utf8)) }
                relay.start()
            }
        }
        thread.start()
    }

    deinit { close(self.listener) }

    private func relay(_ client: Int32, upstream: RedisEndpoint, trigger: [UInt8]) {
        defer { close(client) }
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { return }
        defer { close(server) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(upstream.host == "localhost" ? "127.0.0.1" : upstream.host)
        address.sin_port = in_port_t(UInt16(upstream.port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        func forward(_ from: Int32, _ to: Int32) -> [UInt8]? {
            let count = recv(from, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            let bytes = Array(buffer[0..<count])
            let sent = bytes.withUnsafeBytes { send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return sent == count ? bytes : nil
        }
        while true {
            var entries = [
                pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                pollfd(fd: server, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&entries, 2, 5_000) > 0 else { return }
            if entries[0].revents != 0 {
                guard let bytes = forward(client, server) else { return }
                let drop =
                    Self.contains(bytes, trigger)
                    && self.dropped.withLock { dropped in
                        defer { dropped = true }
                        return !dropped
                    }
                if drop {
                    // Let Redis run it and answer, then lose the answer with the client's connection.
                    var entry = pollfd(fd: server, events: Int16(POLLIN), revents: 0)
                    if poll(&entry, 1, 2_000) > 0 { _ = recv(server, &buffer, buffer.count, 0) }
                    return
                }
            }
            if entries[1].revents != 0 {
                guard forward(server, client) != nil else { return }
            }
        }
    }

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// A script that ran on Redis but whose reply was lost with the connection is retried on a new connection, and
/// counts once.
@Suite(.enabled(if: RedisTestEnvironment.canUseRedis, Comment(rawValue: RedisTestEnvironment.skipMessage)))
final class RedisRetryTests {
    let url: String
    let server: RedisTestServer?
    let prefix = "retry:\(UUID().uuidString.prefix(8)):"

    init() throws {
        (self.url, self.server) = try RedisTestServer.any()
    }

    private func store(through proxy: ReplyDroppingProxy) throws -> RedisKeyStateStore {
        var endpoint = try RedisEndpoint(url: self.url)
        endpoint.host = "127.0.0.1"
        endpoint.port = proxy.port
        var configuration = RedisKeyStateStore.Configuration(endpoint: endpoint)
        configuration.keyPrefix = self.prefix
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        return store
    }

    private var now: Timestamp { Timestamp(Date()) }

    @Test func anAdmissionWhoseReplyWasLostCountsOnceAndAnswersAsItsFirstRun() throws {
        let proxy = try ReplyDroppingProxy(upstream: try RedisEndpoint(url: self.url), trigger: "}lost")
        let store = try self.store(through: proxy)
        let limits: [RateLimit] = [.perDay(3), .strict(3, per: .seconds(60))]
        #expect(try store.admit(fingerprint: "lost", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 2))
        #expect(proxy.hasDropped, "the first admission's reply was dropped")
        let inspector = try RedisInspector(url: self.url)
        #expect(try inspector.scores("{\(self.prefix)}lost:s:60000000").count == 1)
        guard case .array(let days) = try inspector.command(["KEYS", "{\(self.prefix)}lost:c:d:*"]) else {
            Issue.record("KEYS did not answer an array")
            return
        }
        #expect(try days.compactMap(\.string).map { try inspector.command(["GET", $0]).integer ?? -1 } == [1])
        // The next admission is decided afresh.
        #expect(try store.admit(fingerprint: "lost", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 1))
    }

    @Test func aPipelinedBatchWhoseRepliesWereLostCountsEachAdmissionOnce() throws {
        let proxy = try ReplyDroppingProxy(upstream: try RedisEndpoint(url: self.url), trigger: "}batch")
        let store = try self.store(through: proxy)
        let requests = (0..<4).map { _ in
            RedisKeyStateStore.AdmissionRequest(fingerprint: "batch", cost: 1, limits: [.perDay(3)])
        }
        let answers = try store.admit(requests, at: self.now)
        #expect(proxy.hasDropped, "the batch's replies were dropped")
        #expect(answers.prefix(3) == [.admitted(remaining: 2), .admitted(remaining: 1), .admitted(remaining: 0)])
        #expect(answers.last.map { if case .notBefore = $0 { true } else { false } } == true)
        let inspector = try RedisInspector(url: self.url)
        guard case .array(let days) = try inspector.command(["KEYS", "{\(self.prefix)}batch:c:d:*"]) else {
            Issue.record("KEYS did not answer an array")
            return
        }
        #expect(try days.compactMap(\.string).map { try inspector.command(["GET", $0]).integer ?? -1 } == [3])
    }

    @Test func aRefundWhoseReplyWasLostGivesBackOnce() throws {
        let limits: [RateLimit] = [.perDay(5)]
        let direct = try RedisKeyStateStore(url: self.url)
        var configuration = direct.configuration
        configuration.keyPrefix = self.prefix
        let admitting = RedisKeyStateStore(configuration: configuration)
        for _ in 0..<3 { _ = try admitting.admit(fingerprint: "refund", cost: 1, limits: limits, at: self.now) }
        let proxy = try ReplyDroppingProxy(upstream: try RedisEndpoint(url: self.url), trigger: "}refund")
        let store = try self.store(through: proxy)
        try store.refund(fingerprint: "refund", cost: 1, limits: limits, at: self.now)
        #expect(proxy.hasDropped, "the refund's reply was dropped")
        // 3 − 1 used: 2 left after this use.
        #expect(
            try admitting.admit(fingerprint: "refund", cost: 1, limits: limits, at: self.now) == .admitted(remaining: 2)
        )
    }
}
