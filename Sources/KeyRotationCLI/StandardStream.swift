#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's stdout or stderr, written with `write(2)` (no buffering: messages and progress appear at once).
struct StandardStream: OutputSink {
    /// The file descriptor.
    let descriptor: Int32
    /// What messages call it (`standard output`).
    let name: String

    /// The process's standard output.
    static let output = StandardStream(descriptor: STDOUT_FILENO, name: "standard output")
    /// The process's standard error.
    static let error = StandardStream(descriptor: STDERR_FILENO, name: "standard error")

    func write(_ text: String) throws(OutputWriteError) {
        if let failure = SystemError.writeAll(text, to: self.descriptor) {
            throw OutputWriteError(target: self.name, code: failure)
        }
    }

    var isTerminal: Bool { isatty(self.descriptor) == 1 }
}

/// The system calls the sinks share, with their `errno` as the result.
enum SystemError {
    /// Writes all of `text` to `descriptor` with `write(2)`, again after an interruption or a short write.
    ///
    /// - Returns: `nil` when every byte was written, else the `errno` of the call that failed (a closed pipe
    ///   raises SIGPIPE first, which ends the process as usual).
    static func writeAll(_ text: String, to descriptor: Int32) -> Int32? {
        var text = text
        return text.withUTF8 { buffer -> Int32? in
            guard var base = buffer.baseAddress else { return nil }
            var left = buffer.count
            while left > 0 {
                let written = systemWrite(descriptor, base, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if written == 0 { return EIO }  // no progress and no error: don't spin
                left -= written
                base += written
            }
            return nil
        }
    }

    /// The system's text for `code`: `No space left on device`.
    static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `write(2)`, named apart from ``StandardStream/write(_:)``.
func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}
