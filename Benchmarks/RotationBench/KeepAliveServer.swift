import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback HTTP/1.1 server that keeps connections alive and answers every request with `ok`: the
/// transport scenario's upstream. One thread per connection; ``stop()`` shuts them down.
final class KeepAliveServer: Sendable {
    let port: Int
    private let listener: Int32
    private let state = Mutex<(running: Bool, connections: Set<Int32>)>((true, []))

    init?() {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard listener >= 0, bound == 0, listen(listener, 128) == 0 else { return nil }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        self.port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in self.acceptLoop() }.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(self.port)/ping")! }

    func stop() {
        self.state.withLock { state in
            state.running = false
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
    }

    private func acceptLoop() {
        defer { close(self.listener) }
        while self.state.withLock({ $0.running }) {
            var descriptor = pollfd(fd: self.listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let connection = accept(self.listener, nil, nil)
            guard connection >= 0 else { continue }
            self.state.withLock { _ = $0.connections.insert(connection) }
            Thread { [self] in
                Self.serve(connection)
                self.state.withLock { _ = $0.connections.remove(connection) }
                close(connection)
            }.start()
        }
    }

    /// Answers each request head (requests without a body) until the client goes.
    private static func serve(_ connection: Int32) {
        let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok".utf8)
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var pending: [UInt8] = []
        while true {
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            pending += buffer[0..<count]
            while let end = Self.headEnd(pending) {
                pending.removeFirst(end)
                let sent = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard sent == answer.count else { return }
            }
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}
