import KeyRotationRedis
import Testing

@Suite struct RedisEndpointTests {
    @Test func parsesTheURLForms() throws {
        #expect(try RedisEndpoint(url: "redis://localhost") == RedisEndpoint(host: "localhost"))
        #expect(
            try RedisEndpoint(url: "redis://127.0.0.1:6380/2")
                == RedisEndpoint(host: "127.0.0.1", port: 6380, database: 2)
        )
        let login = try RedisEndpoint(url: "redis://:s%40cret@h:7000/1")
        #expect(login.password == "s@cret" && login.username == nil && login.port == 7000 && login.database == 1)
        let user = try RedisEndpoint(url: "redis://app:pw@[::1]:6379")
        #expect(user.username == "app" && user.password == "pw" && user.host == "::1")
    }

    @Test func refusesTLSWithAClearMessage() throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(url: "rediss://:pw@host:6380/0") }
        #expect(error.code == .unsupportedScheme)
        #expect(error.message.contains("rediss://") && error.message.contains("TLS"))
        #expect(!error.message.contains("pw@"))
    }

    @Test(arguments: ["localhost:6379", "http://h", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x"])
    func refusesInvalidURLs(_ url: String) {
        #expect(throws: RedisError.self) { try RedisEndpoint(url: url) }
    }

    @Test func thePasswordNeverShows() throws {
        let endpoint = try RedisEndpoint(url: "redis://:topsecretpw@h:1/0")
        #expect(endpoint.description == "redis://:***@h:1/0")
        let error = try #require(throws: RedisError.self) {
            try RedisKeyStateStore.Configuration.environment([
                "KEYROTATION_REDIS_URL": "redis://:topsecretpw@h:notaport"
            ])
        }
        #expect(error.message.contains("KEYROTATION_REDIS_URL") && !error.message.contains("topsecretpw"))
        #expect(try RedisKeyStateStore.Configuration.environment([:]) == nil)
        let configured = try #require(
            try RedisKeyStateStore.Configuration.environment(["KEYROTATION_REDIS_URL": "redis://127.0.0.1:7/3"])
        )
        #expect(configured.endpoint.port == 7 && configured.endpoint.database == 3)
    }

    @Test func theFallbackPolicyNamesItsFraction() {
        let quarter = RedisKeyStateStore.UnavailablePolicy.localFallback(fraction: 0.25)
        #expect(quarter.description.contains("0.25"))
    }
}
