import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An `--output` file.
///
/// A new or regular file is written atomically: text goes to a temporary file next to it, which ``commit()``
/// renames over it, so readers see the old file or the whole new one, never a part; ``discard()`` (or a failed
/// command) removes the temporary file and leaves the file untouched. A symbolic link is followed: its target is
/// written and the link stays. Anything else that exists (a FIFO, a terminal, `/dev/null`) is written in place,
/// never replaced.
final class OutputFile: OutputSink {
    private struct State {
        var descriptor: Int32
        var failure: Int32?
        var isClosed = false
    }

    /// The path as given.
    let path: String
    /// The file written: ``path`` with its symbolic links followed.
    let destination: String
    /// The temporary file being written, renamed over ``destination`` on commit; `nil` when the destination is not a
    /// regular file and is written in place.
    let temporaryPath: String?
    private let state: Mutex<State>
    /// Removes the temporary file if a signal ends the process first.
    private let termination: TerminationGuard?
    private let cleanup: Int?

    /// Opens the output for `path`: a temporary file next to its destination, or the destination itself when it
    /// exists and is not a regular file (a FIFO waits here for its reader). `termination` removes a temporary
    /// file if a signal ends the process before ``commit()`` or ``discard()``.
    ///
    /// - Throws: ``CLIError`` (exit 1) naming the path when it can't be written.
    init(path: String, termination: TerminationGuard? = nil) throws(CLIError) {
        let destination = try Self.followingLinks(path)
        let slash = destination.lastIndex(of: "/")
        let directory = slash.map { String(destination[...$0]) } ?? ""
        let name = slash.map { String(destination[destination.index(after: $0)...]) } ?? destination
        guard !name.isEmpty else { throw CLIError.failed("cannot write \(path): it names a directory") }
        var info = stat()
        let exists = stat(destination, &info) == 0
        let kind = info.st_mode & S_IFMT
        if exists, kind == S_IFDIR { throw CLIError.failed("cannot write \(path): is a directory") }
        if exists, kind != S_IFREG {
            // A device, a FIFO, a socket: written in place, as a shell's `>` would; replacing it would break it.
            let descriptor = open(destination, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CLIError.failed("cannot write \(path): \(SystemError.reason(errno))")
            }
            self.path = path
            self.destination = destination
            self.temporaryPath = nil
            self.state = Mutex(State(descriptor: descriptor))
            self.termination = nil
            self.cleanup = nil
            return
        }
        var template = Array("\(directory).\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw CLIError.failed(
                "cannot create a file in \(directory.isEmpty ? "." : directory): \(SystemError.reason(errno))"
            )
        }
        // A file that is replaced keeps its permissions; a new one is readable by all, as `>` makes it.
        _ = fchmod(descriptor, exists ? info.st_mode & 0o7777 : 0o644)
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.path = path
        self.destination = destination
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

    /// Writes `text`; after a failure every later write fails the same way.
    ///
    /// - Throws: ``OutputWriteError`` naming ``path``.
    func write(_ text: String) throws(OutputWriteError) {
        let failure: Int32? = self.state.withLock { state in
            guard !state.isClosed else { return state.failure ?? EBADF }
            if state.failure == nil { state.failure = SystemError.writeAll(text, to: state.descriptor) }
            return state.failure
        }
        if let failure { throw OutputWriteError(target: self.path, code: failure) }
    }

    /// Flushes the temporary file to disk and renames it over ``destination``; an output written in place is
    /// closed.
    ///
    /// - Throws: ``OutputWriteError`` naming ``path`` when a write, the flush, the close or the rename failed.
    func commit() throws(OutputWriteError) {
        let failure: Int32? = self.state.withLock { state in
            guard !state.isClosed else { return state.failure ?? EBADF }
            state.isClosed = true
            if let temporaryPath = self.temporaryPath {
                if state.failure == nil, fsync(state.descriptor) != 0 { state.failure = errno }
                if close(state.descriptor) != 0, state.failure == nil { state.failure = errno }
                if state.failure == nil, rename(temporaryPath, self.destination) != 0 { state.failure = errno }
            } else if close(state.descriptor) != 0, state.failure == nil {
                state.failure = errno
            }
            return state.failure
        }
        if let cleanup { self.termination?.removeCleanup(cleanup) }
        if let failure {
            if let temporaryPath { _ = unlink(temporaryPath) }
            throw OutputWriteError(target: self.path, code: failure)
        }
    }

    /// Removes the temporary file; the destination is left as it was (what was written to an output written in
    /// place stays written). Does nothing after ``commit()``.
    func discard() {
        let wasOpen = self.state.withLock { state in
            guard !state.isClosed else { return false }
            state.isClosed = true
            _ = close(state.descriptor)
            return true
        }
        guard wasOpen else { return }
        if let temporaryPath { _ = unlink(temporaryPath) }
        if let cleanup { self.termination?.removeCleanup(cleanup) }
    }

    /// `path` with its symbolic links followed (a relative target is read from the link's folder), up to the
    /// first path that is not a link or does not exist yet.
    ///
    /// - Throws: ``CLIError`` (exit 1) for a loop of links.
    static func followingLinks(_ path: String) throws(CLIError) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { return current }
            let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else {
                current = current.lastIndex(of: "/").map { String(current[...$0]) + target } ?? target
            }
        }
        throw CLIError.failed("cannot write \(path): \(SystemError.reason(ELOOP))")
    }
}
