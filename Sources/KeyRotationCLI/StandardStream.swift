#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's stdout or stderr, written with `write(2)` (no buffering: messages and progress appear at once).
struct StandardStream: OutputSink {
    /// The file descriptor.
    let descriptor: Int32

    /// The process's standard output.
    static let output = StandardStream(descriptor: STDOUT_FILENO)
    /// The process's standard error.
    static let error = StandardStream(descriptor: STDERR_FILENO)

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            guard var base = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let written = systemWrite(self.descriptor, base, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe or a full disk: nothing useful to do with the text
                }
                left -= written
                base += written
            }
        }
    }

    var isTerminal: Bool { isatty(self.descriptor) == 1 }
}

/// `write(2)`, named apart from ``StandardStream/write(_:)``.
func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
    #else
        Darwin.write(descriptor, bytes, count)
    #endif
}
