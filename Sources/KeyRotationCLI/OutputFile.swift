import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file written atomically: text goes to a temporary file next to the destination, which ``commit()`` renames
/// over it, so readers see the old file or the whole new one, never a part. ``discard()`` (or a failed command)
/// removes the temporary file and leaves the destination untouched.
final class OutputFile: OutputSink {
    private struct State {
        var descriptor: Int32
        var failure: Int32?
        var isClosed = false
    }

    /// Where the file ends up.
    let path: String
    /// The temporary file being written.
    let temporaryPath: String
    private let state: Mutex<State>
    /// Removes the temporary file if a signal ends the process first.
    private let termination: TerminationGuard?
    private let cleanup: Int?

    /// Creates the temporary file next to `path`; `termination` removes it if a signal ends the process before
    /// ``commit()`` or ``discard()``.
    ///
    /// - Throws: ``CLIError`` (exit 1) naming the path when the directory can't be written.
    init(path: String, termination: TerminationGuard? = nil) throws(CLIError) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else { throw CLIError.failed("cannot write to \(path): it names a directory") }
        var template = Array("\(directory).\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw CLIError.failed(
                "cannot create a file in \(directory.isEmpty ? "." : directory): \(Self.reason(errno))"
            )
        }
        _ = fchmod(descriptor, 0o644)
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.path = path
        self.temporaryPath = temporaryPath
        self.state = Mutex(State(descriptor: descriptor))
        self.termination = termination
        self.cleanup = termination?.addCleanup { _ = unlink(temporaryPath) }
    }

    deinit {
        // Not committed: leave the destination as it was.
        self.discard()
    }

    var isTerminal: Bool { false }

    func write(_ text: String) {
        var text = text
        self.state.withLock { state in
            guard !state.isClosed, state.failure == nil else { return }
            text.withUTF8 { buffer in
                guard var base = buffer.baseAddress else { return }
                var left = buffer.count
                while left > 0 {
                    let written = systemWrite(state.descriptor, base, left)
                    if written < 0 {
                        if errno == EINTR { continue }
                        state.failure = errno
                        return
                    }
                    left -= written
                    base += written
                }
            }
        }
    }

    /// Flushes the temporary file to disk and renames it over ``path``.
    ///
    /// - Throws: ``CLIError`` (exit 1) naming the path when a write, the flush or the rename failed.
    func commit() throws(CLIError) {
        let failure: Int32? = self.state.withLock { state in
            guard !state.isClosed else { return EBADF }
            state.isClosed = true
            if state.failure == nil, fsync(state.descriptor) != 0 { state.failure = errno }
            if close(state.descriptor) != 0, state.failure == nil { state.failure = errno }
            if state.failure == nil, rename(self.temporaryPath, self.path) != 0 { state.failure = errno }
            return state.failure
        }
        if let cleanup { self.termination?.removeCleanup(cleanup) }
        if let failure {
            _ = unlink(self.temporaryPath)
            throw CLIError.failed("cannot write \(self.path): \(Self.reason(failure))")
        }
    }

    /// Removes the temporary file; the destination is left as it was. Does nothing after ``commit()``.
    func discard() {
        let wasOpen = self.state.withLock { state in
            guard !state.isClosed else { return false }
            state.isClosed = true
            _ = close(state.descriptor)
            return true
        }
        if wasOpen { _ = unlink(self.temporaryPath) }
        if wasOpen, let cleanup { self.termination?.removeCleanup(cleanup) }
    }

    private static func reason(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text).lowercased()
    }
}
