// A helper process for KeyRotationRedisTests: several of these share one pool of keys through one Redis, as
// replicas on several machines would. Also measures admission throughput and latency by hand.
//
//   RedisProbe replica <url> <prefix> <seconds>   acquires and "sends" for <seconds>, prints how many it sent
//   RedisProbe bench <url> <iterations> <batch>    prints admissions/s (sequential and pipelined) and latency
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

func bench(url: String, iterations: Int, batch: Int) throws {
    var configuration = try RedisKeyStateStore.Configuration(url: url)
    configuration.keyPrefix = "bench:\(getpid()):"
    let store = RedisKeyStateStore(configuration: configuration)
    try store.connect()
    let limits: [RateLimit] = [
        .calendar(Int.max / 4, per: .day), .gcra(rate: 1_000_000, per: .seconds(1), burst: 1_000_000),
    ]
    let now = Timestamp(Date())
    let clock = ContinuousClock()
    let fingerprints = (0..<8).map { "bench\($0)" }
    let sequential = clock.measure {
        for index in 0..<iterations {
            _ = try? store.admit(fingerprint: fingerprints[index % 8], cost: 1, limits: limits, at: now)
        }
    }
    let requests = (0..<batch).map {
        RedisKeyStateStore.AdmissionRequest(fingerprint: fingerprints[$0 % 8], cost: 1, limits: limits)
    }
    let rounds = max(1, iterations / batch)
    let pipelined = clock.measure {
        for _ in 0..<rounds { _ = try? store.admit(requests, at: now) }
    }
    let rotator = KeyRotator(
        keys: (0..<8).map { APIKey("bench-secret-\($0)", limits: limits) },
        configuration: .init(strategy: .roundRobin, stateStore: store)
    )
    let plain = KeyRotator(keys: (0..<8).map { APIKey("bench-secret-\($0)", limits: limits) })
    func acquireLoop(_ rotator: KeyRotator<ContinuousClock>) -> Duration {
        clock.measure {
            for _ in 0..<iterations {
                if case .lease(let lease) = rotator.tryAcquire() { lease.report(.success(latency: .zero)) }
            }
        }
    }
    let withStore = acquireLoop(rotator)
    let inMemory = acquireLoop(plain)
    func perSecond(_ count: Int, _ elapsed: Duration) -> Int { Int(Double(count) / elapsed.seconds) }
    let added = (withStore - inMemory) / iterations
    print(
        "redis.admit sequential: \(perSecond(iterations, sequential)) admissions/s, "
            + "\((sequential / iterations).nanoseconds / 1000) µs/admission"
    )
    print("redis.admit pipelined (batch \(batch)): \(perSecond(rounds * batch, pipelined)) admissions/s")
    print(
        "rotator.tryAcquire+report with Redis store: \((withStore / iterations).nanoseconds / 1000) µs/op, "
            + "in memory: \((inMemory / iterations).nanoseconds) ns/op, added by Redis: \(added.nanoseconds / 1000) µs"
    )
    print(#"{"bench":"redis.admit.sequential","value":\#(perSecond(iterations, sequential)),"unit":"admissions/s"}"#)
    print(
        #"{"bench":"redis.admit.pipelined","value":\#(perSecond(rounds * batch, pipelined)),"unit":"admissions/s","batch":\#(batch)}"#
    )
    print(#"{"bench":"redis.acquire.addedLatency","value":\#(added.nanoseconds / 1000),"unit":"µs"}"#)
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
    var nanoseconds: Int64 { self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000 }
}

do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "replica" where arguments.count == 5:
        guard let seconds = Int(arguments[4]), seconds > 0 else { fail("bad seconds") }
        try await replica(url: arguments[2], prefix: arguments[3], seconds: seconds)
    case "bench" where arguments.count == 5:
        guard let iterations = Int(arguments[3]), let batch = Int(arguments[4]), iterations > 0, batch > 0 else {
            fail("bad numbers")
        }
        try bench(url: arguments[2], iterations: iterations, batch: batch)
    default:
        fail("usage: RedisProbe replica <url> <prefix> <seconds> | bench <url> <iterations> <batch>")
    }
} catch {
    fail("\(error)")
}
