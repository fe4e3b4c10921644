import KeyRotation
import KeyRotationRedis
import Testing

@Suite struct RedisConnectionTests {
    private func connect(_ port: Int) throws(RedisError) -> RedisConnection {
        try RedisConnection(
            endpoint: RedisEndpoint(host: "127.0.0.1", port: port),
            connectTimeout: .seconds(2),
            ioTimeout: .seconds(2)
        )
    }

    @Test func aPeerThatIsNotRedisGivesAMalformedReplyError() throws {
        let server = try FakeRedisServer(replies: ["HTTP/1.1 400 Bad Request\r\n\r\n"])
        let error = try #require(throws: RedisError.self) { try self.connect(server.port) }
        #expect(error.code == .malformedReply)
        #expect(error.description.contains("not RESP") && error.description.contains("127.0.0.1:\(server.port)"))
    }

    @Test func aMalformedReplyMidStreamClosesTheConnection() throws {
        let server = try FakeRedisServer(replies: ["+PONG\r\n", "$3\r\nabcdefg\r\n"])
        let connection = try self.connect(server.port)
        let error = try #require(throws: RedisError.self) { try connection.command(["GET", "x"]) }
        #expect(error.code == .malformedReply)
        #expect(!connection.isOpen)
        let again = try #require(throws: RedisError.self) { try connection.command(["PING"]) }
        #expect(again.code == .connectionClosed)
    }

    @Test func aClosedConnectionGivesAClearError() throws {
        let server = try FakeRedisServer(replies: ["+PONG\r\n"])
        let connection = try self.connect(server.port)
        let error = try #require(throws: RedisError.self) { try connection.command(["GET", "x"]) }
        #expect(error.code == .connectionClosed)
        #expect(error.message.contains("Redis at 127.0.0.1:\(server.port)"))
    }

    @Test func nobodyListeningGivesAConnectionError() throws {
        let port = try RedisTestServer.freePort()  // bound, then closed: nobody listens
        let error = try #require(throws: RedisError.self) { try self.connect(port) }
        #expect(error.code == .connectionFailed)
        #expect(error.message.contains("unreachable"))
    }

    @Test func theStoreFailsClosedWithAStoreErrorOnMalformedReplies() throws {
        let server = try FakeRedisServer(replies: ["+OK\r\n+PONG\r\n", "*1\r\n$x\r\n"], drain: true)
        let store = try RedisKeyStateStore(url: "redis://:hunter2pw@127.0.0.1:\(server.port)/0")
        let error = try #require(throws: KeyStateStoreError.self) {
            try store.admit(fingerprint: "f", cost: 1, limits: [.perSecond(1)], at: .epoch)
        }
        #expect(error.code == .unavailable)
        #expect(error.message.contains("malformed") && error.message.contains("no key was admitted"), "\(error)")
        #expect(!error.description.contains("hunter2pw"))
    }

    @Test func theStoreFailsClosedWhenRedisIsDown() throws {
        let port = try RedisTestServer.freePort()
        let store = try RedisKeyStateStore(url: "redis://127.0.0.1:\(port)/0")
        let error = try #require(throws: KeyStateStoreError.self) {
            try store.admit(fingerprint: "f", cost: 1, limits: [.perSecond(1)], at: .epoch)
        }
        #expect(error.code == .unavailable)
        // The rotator turns it into a store failure naming no key.
        let key = APIKey("rotator-secret-material", label: "k", limits: [.perSecond(5)])
        let rotator = KeyRotator(keys: [key], configuration: .init(strategy: .roundRobin, stateStore: store))
        guard case .unavailable(let failure) = rotator.tryAcquire() else {
            Issue.record("expected the acquire to fail closed")
            return
        }
        #expect(failure.code == .storeFailed)
        #expect(!"\(failure)".contains("rotator-secret-material"))
    }
}
