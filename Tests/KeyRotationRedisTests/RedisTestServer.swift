import Foundation
import Glibc
import KeyRotationRedis

/// Where the Redis tests find a server: `KEYROTATION_REDIS_URL` (CI sets it), else a private `redis-server`
/// started on a free loopback port. Outside CI, tests that need Redis are skipped when neither exists; in CI
/// (`CI=true`) they never skip, and fail with a clear message if Redis can't be reached.
enum RedisTestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    static let isCI = environment["CI"] == "true"
    static let sharedURL = environment["KEYROTATION_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }

    /// The `redis-server` binary, if installed.
    static let serverBinary: String? = {
        let path = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in path + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
            let candidate = directory + "/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Tests that need some Redis run when this holds (always in CI).
    static let canUseRedis = isCI || sharedURL != nil || serverBinary != nil
    /// Tests that start, kill and restart their own server run when this holds (always in CI).
    static let canStartServer = isCI || serverBinary != nil
    static let skipMessage = "no Redis: install redis-server or set KEYROTATION_REDIS_URL (never skipped in CI)"
}

struct RedisTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// A private `redis-server` on 127.0.0.1, without persistence; stopped when released.
final class RedisTestServer {
    let port: Int
    private var process: Process?

    var url: String { "redis://127.0.0.1:\(self.port)/0" }

    init() throws {
        self.port = try Self.freePort()
        try self.start()
    }

    deinit { self.kill() }

    /// The URL of a Redis for tests: `KEYROTATION_REDIS_URL`, else a new private server (kept alive by the
    /// returned object).
    /// A connected store on `url` whose keys all start with `prefix` (each suite its own).
    static func store(url: String, prefix: String) throws -> RedisKeyStateStore {
        var configuration = try RedisKeyStateStore.Configuration(url: url)
        configuration.keyPrefix = prefix
        let store = RedisKeyStateStore(configuration: configuration)
        try store.connect()
        return store
    }

    static func any() throws -> (url: String, server: RedisTestServer?) {
        if let url = RedisTestEnvironment.sharedURL { return (url, nil) }
        let server = try RedisTestServer()
        return (server.url, server)
    }

    func start() throws {
        guard let binary = RedisTestEnvironment.serverBinary else {
            throw RedisTestFailure(description: "redis-server is not installed: apt-get install redis-server")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--protected-mode", "no", "--loglevel", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: self.port)
        for _ in 0..<300 {  // up to about 3 s for the server to accept connections
            if (try? RedisConnection(endpoint: endpoint, connectTimeout: .milliseconds(100), ioTimeout: .seconds(1)))
                != nil
            {
                return
            }
            usleep(10_000)
        }
        self.kill()
        throw RedisTestFailure(description: "redis-server did not start on 127.0.0.1:\(self.port) within 3 s")
    }

    /// Kills the server at once (SIGKILL: a crash, not a clean shutdown) and waits for it to exit.
    func kill() {
        guard let process = self.process else { return }
        self.process = nil
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RedisTestFailure(description: "no socket for a free port") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw RedisTestFailure(description: "could not bind a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A one-connection TCP server on loopback that answers each read with the next canned reply, then closes:
/// for malformed replies and dropped connections.
final class FakeRedisServer: Sendable {
    let port: Int
    private let listener: Int32

    /// - Parameter drain: after the last reply, keep reading (up to 2 s) instead of closing at once, so a
    ///   client still writing sees the reply rather than a reset.
    init(replies: [String], drain: Bool = false) throws {
        let (descriptor, port) = try loopbackListener()
        self.listener = descriptor
        self.port = port
        let thread = Thread {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 5_000) > 0 else { return }  // bounded: gives up after 5 s
            let client = accept(descriptor, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 65536)
            for reply in replies {
                var entry = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 5_000) > 0, recv(client, &buffer, buffer.count, 0) > 0 else { break }
                _ = Array(reply.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            }
            for _ in 0..<(drain ? 200 : 0) {
                var entry = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 10) >= 0 else { break }
                if entry.revents != 0 && recv(client, &buffer, buffer.count, 0) <= 0 { break }
            }
            close(client)
        }
        thread.start()
    }

    deinit { close(self.listener) }
}

/// A socket listening on a free port of 127.0.0.1, and that port.
func loopbackListener() throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
                && listen(descriptor, 4) == 0
        }
    }
    guard descriptor >= 0, ready else { throw RedisTestFailure(description: "could not listen on loopback") }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}
