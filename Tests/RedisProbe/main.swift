// A helper process for KeyRotationRedisTests: several of these share one pool of keys through one Redis, as
// replicas on several machines would. (Throughput and latency: `rotation-bench --scenario redis`.)
//
//   RedisProbe replica <url> <prefix> <seconds>   acquires and "sends" for <seconds>, prints how many it sent
//   RedisProbe restart-replica <url> <prefix> <seconds> <log-url>
//       the same with one key of each kind of limit (strict window, GCRA, calendar), "sending" to the log at
//       <log-url> (a Redis that is not restarted), while the test kills and restarts the Redis at <url>
import Foundation
import KeyRotation
import KeyRotationRedis

let arguments = CommandLine.arguments

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

/// The three keys every replica shares, each limited to 10 requests in any second.
let keys = (1...3).map { APIKey("redis-probe-secret-\($0)", label: "k\($0)", limits: [.perSecond(10)]) }

/// "Sends" a request with `key`: appends the server's time (µs) to the key's request log on the server.
func send(_ connection: RedisConnection, prefix: String, key: KeyID) throws {
    let script = "local t = redis.call('TIME') return redis.call('RPUSH', KEYS[1], t[1] .. string.format('%06d', t[2]))"
    let reply = try connection.command(["EVAL", script, "1", "\(prefix)sent:\(key)"])
    if case .error(let message) = reply { fail("send failed: \(message)") }
}

func replica(url: String, prefix: String, seconds: Int) async throws {
    var configuration = try RedisKeyStateStore.Configuration(url: url)
    configuration.keyPrefix = prefix
    configuration.admissionLogKey = "\(prefix)admitted"
    let store = RedisKeyStateStore(configuration: configuration)
    try store.connect()
    let endpoint = try RedisEndpoint(url: url)
    let connection = try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(1), ioTimeout: .seconds(2))
    let rotator = KeyRotator(keys: keys, configuration: .init(strategy: .roundRobin, stateStore: store))
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .seconds(seconds))
    var sent = 0
    for _ in 0..<100_000 {
        guard clock.now < end else { break }
        let lease: Lease
        do {
            lease = try await rotator.acquire(deadline: end)
        } catch let error as KeyRotatorError where error.code == .deadlineExceeded {
            break
        } catch let error as KeyRotatorError where error.code == .storeFailed {
            // Lost the race for every key 64 times in a row: try again (bounded by the loop and the deadline).
            continue
        }
        try send(connection, prefix: prefix, key: lease.keyID)
        lease.report(.success(latency: .zero))
        sent += 1
    }
    print(sent)
}

/// One key per kind of limit whose state a Redis restart must not lose (a day's worth of each, so it can't refill
/// during a test).
let restartKeys = [
    APIKey("redis-restart-secret-1", label: "strict", limits: [.strict(24, per: .seconds(600))]),
    APIKey("redis-restart-secret-2", label: "gcra", limits: [try! .gcra(rate: 1, per: .seconds(2), burst: 5)]),
    APIKey("redis-restart-secret-3", label: "hour", limits: [.calendar(24, per: .hour)]),
    APIKey("redis-restart-secret-4", label: "spacing", limits: [.minimumSpacing(.seconds(600))]),
]

func restartReplica(url: String, prefix: String, seconds: Int, logURL: String) async throws {
    var configuration = try RedisKeyStateStore.Configuration(url: url)
    configuration.keyPrefix = prefix
    configuration.maximumBackoff = .milliseconds(100)
    configuration.connectTimeout = .milliseconds(300)
    configuration.restartGrace = .seconds(1)
    let store = RedisKeyStateStore(configuration: configuration)
    try store.connect()
    let log = try RedisConnection(
        endpoint: try RedisEndpoint(url: logURL),
        connectTimeout: .seconds(1),
        ioTimeout: .seconds(2)
    )
    let rotator = KeyRotator(keys: restartKeys, configuration: .init(strategy: .roundRobin, stateStore: store))
    let clock = ContinuousClock()
    let end = clock.now.advanced(by: .seconds(seconds))
    var sent = 0
    for _ in 0..<100_000 {
        guard clock.now < end else { break }
        do {
            let lease = try await rotator.acquire(deadline: min(end, clock.now.advanced(by: .milliseconds(200))))
            try send(log, prefix: prefix, key: lease.keyID)
            lease.report(.success(latency: .zero))
            sent += 1
        } catch let error as KeyRotatorError where error.code == .deadlineExceeded || error.code == .storeFailed {
            try await Task.sleep(for: .milliseconds(10))  // every key busy, or Redis away: bounded by the loop
        }
    }
    print(sent)
}

do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "restart-replica" where arguments.count == 6:
        guard let seconds = Int(arguments[4]), seconds > 0 else { fail("bad seconds") }
        try await restartReplica(url: arguments[2], prefix: arguments[3], seconds: seconds, logURL: arguments[5])
    case "replica" where arguments.count == 5:
        guard let seconds = Int(arguments[4]), seconds > 0 else { fail("bad seconds") }
        try await replica(url: arguments[2], prefix: arguments[3], seconds: seconds)
    default:
        fail("usage: RedisProbe replica <url> <prefix> <seconds> | restart-replica <url> <prefix> <seconds> <log-url>")
    }
} catch {
    fail("\(error)")
}
