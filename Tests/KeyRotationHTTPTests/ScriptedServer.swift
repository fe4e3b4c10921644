import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback listener whose connections a test scripts byte by byte (keep-alive, drops, full backlogs).
///
/// Every connection runs `script` on its own thread with the socket (5 s receive and send timeouts); ``stop()``
/// shuts every connection down. ``requestHeads`` counts request heads read through ``readHead(_:)``.
final class ScriptedServer: Sendable {
    typealias Script = @Sendable (_ connection: Int32, _ server: ScriptedServer) -> Void

    let listener: Int32
    let port: Int
    private let script: Script?
    private let state = Mutex<(running: Bool, connections: Set<Int32>, heads: Int)>((true, [], 0))

    /// Listens on 127.0.0.1 with `backlog`; with a `nil` script nothing is ever accepted.
    init(backlog: Int32 = 64, script: Script?) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard listener >= 0, bound == 0, listen(listener, backlog) == 0 else {
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.script = script
        if script != nil { Thread { [self] in self.acceptLoop() }.start() }
    }

    var requestHeads: Int { self.state.withLock { $0.heads } }

    func url(_ path: String = "/") -> URL { URL(string: "http://127.0.0.1:\(self.port)\(path)")! }

    func stop() {
        self.state.withLock { state in
            state.running = false
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
        if self.script == nil { close(self.listener) }
    }

    private func acceptLoop() {
        defer { close(self.listener) }
        while self.state.withLock({ $0.running }) {
            var descriptor = pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let connection = accept(self.listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            self.state.withLock { _ = $0.connections.insert(connection) }
            Thread { [self] in
                self.script?(connection, self)
                self.state.withLock { _ = $0.connections.remove(connection) }
                close(connection)
            }.start()
        }
    }

    /// Reads one request head (a body-less request); `false` when the peer closed or timed out first.
    func readHead(_ connection: Int32) -> Bool {
        var window: [UInt8] = []
        var byte: UInt8 = 0
        for _ in 0..<65_536 {
            guard recv(connection, &byte, 1, 0) == 1 else { return false }
            window.append(byte)
            if window.count > 4 { window.removeFirst() }
            if window == Array("\r\n\r\n".utf8) {
                self.state.withLock { $0.heads += 1 }
                return true
            }
        }
        return false
    }

    /// Sends every byte; `false` when the peer is gone.
    @discardableResult
    static func send(_ connection: Int32, _ text: String) -> Bool {
        self.send(connection, Array(text.utf8))
    }

    @discardableResult
    static func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}
