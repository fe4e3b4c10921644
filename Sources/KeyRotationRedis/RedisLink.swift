import Dispatch
import Synchronization

/// One script to run: `EVALSHA` of `script` with `keys` and `arguments`.
struct RedisScriptCall: Sendable {
    var script: RedisScript
    var keys: [String]
    var arguments: [String]
}

/// The store's one connection, shared by every thread through automatic pipelining.
///
/// Callers hand their scripts to ``execute(_:)`` and block until the replies come. Whoever finds no flush in
/// progress becomes the flusher: it takes every call queued so far, writes them in one batch (`EVALSHA` each),
/// reads the replies in order (Redis answers a connection FIFO) and hands each caller its own; calls queued
/// meanwhile form the next batch, which the flusher passes to the first of their callers (so no caller serves
/// others forever). A connection error fails every call of the batch with that error (after one retry of the
/// whole batch on a fresh connection when the server closed it: admissions and refunds carry tokens), closes the
/// connection, and the next flush reconnects after a backoff.
final class RedisLink: Sendable {
    /// One caller's calls, and where its answer goes.
    private final class Pending: Sendable {
        let calls: [RedisScriptCall]
        /// The answer, or `nil` while waiting (then a wake-up means "you flush next").
        let answer = Mutex<Result<[RedisReply], RedisError>?>(nil)
        let wake = DispatchSemaphore(value: 0)

        init(_ calls: [RedisScriptCall]) { self.calls = calls }
    }

    private struct Queue {
        var waiting: [Pending] = []
        var flushing = false
        var connected = false
        var batches = 0
        var calls = 0
    }

    /// What only the current flusher touches: the connection and what comes with it.
    ///
    /// `@unchecked Sendable` is safe: a session is used by one thread at a time, the flusher, and the flusher
    /// role passes from thread to thread only through ``RedisLink/queue``'s `Mutex` (taken by the giver before it
    /// signals and by the taker after it wakes), which orders every access of one flusher before the next's.
    final class Session: @unchecked Sendable {
        fileprivate(set) var connection: RedisConnection?
        fileprivate var hashes: [RedisScript: String] = [:]  // SHA1s on the current connection
        fileprivate var nextAttempt: ContinuousClock.Instant?
        fileprivate var backoff: Duration
        fileprivate var lastError: RedisError?
        /// Set when a connection broke or could not be made; the next connection runs ``RedisLink/onConnect`` with it.
        fileprivate var hadOutage = false

        fileprivate init(backoff: Duration) { self.backoff = backoff }

        /// Runs `calls` on the current connection, pipelined: `EVALSHA` each, reloading a script the server
        /// forgot (`NOSCRIPT`, after `SCRIPT FLUSH` or a restart) and sending its calls again.
        func evaluate(_ calls: [RedisScriptCall]) throws(RedisError) -> [RedisReply] {
            guard let connection = self.connection, connection.isOpen else {
                throw RedisError(.connectionClosed, "the connection to Redis is closed")
            }
            func command(_ call: RedisScriptCall) -> [String] {
                ["EVALSHA", self.hashes[call.script] ?? "", String(call.keys.count)] + call.keys + call.arguments
            }
            var replies = try connection.pipeline(calls.map(command))
            let forgotten = replies.indices.filter {
                if case .error(let message) = replies[$0] { return message.hasPrefix("NOSCRIPT") }
                return false
            }
            guard !forgotten.isEmpty else { return replies }
            var scripts: [RedisScript] = []
            for index in forgotten where !scripts.contains(calls[index].script) { scripts.append(calls[index].script) }
            try self.load(scripts, on: connection)
            let again = try connection.pipeline(forgotten.map { command(calls[$0]) })
            for (index, reply) in zip(forgotten, again) { replies[index] = reply }
            return replies
        }

        fileprivate func load(_ scripts: [RedisScript], on connection: RedisConnection) throws(RedisError) {
            let replies = try connection.pipeline(scripts.map { ["SCRIPT", "LOAD", $0.source] })
            for (script, reply) in zip(scripts, replies) {
                guard let hash = reply.string, hash.count == 40 else {
                    throw RedisError(
                        .malformedReply,
                        "SCRIPT LOAD answered an unexpected reply (\(String(describing: reply).prefix(120)))"
                    )
                }
                self.hashes[script] = hash
            }
        }
    }

    private let configuration: RedisKeyStateStore.Configuration
    private let queue = Mutex(Queue())
    private let session: Session
    /// Runs on each new connection after an outage (or the first), before any call of the batch: the store
    /// writes back what it holds. Its error breaks the connection like any other.
    typealias ConnectHook = @Sendable (Session, _ afterOutage: Bool) throws(RedisError) -> Void
    private let onConnect = Mutex<ConnectHook?>(nil)

    init(configuration: RedisKeyStateStore.Configuration) {
        self.configuration = configuration
        self.session = Session(backoff: configuration.initialBackoff)
    }

    /// Sets what runs on each new connection (once, before the first call).
    func setOnConnect(_ hook: @escaping ConnectHook) { self.onConnect.withLock { $0 = hook } }

    /// Whether the link had a live connection after the last flush.
    var isConnected: Bool { self.queue.withLock { $0.connected } }

    /// Batches flushed and calls they carried so far (calls ÷ batches: how much the pipelining coalesced).
    var statistics: (batches: Int, calls: Int) { self.queue.withLock { ($0.batches, $0.calls) } }

    /// Runs `calls` in the next batch and waits for their replies (in order). An error reply stays a reply.
    func execute(_ calls: [RedisScriptCall]) -> Result<[RedisReply], RedisError> {
        let pending = Pending(calls)
        let leads = self.queue.withLock { queue in
            queue.waiting.append(pending)
            if queue.flushing { return false }
            queue.flushing = true
            return true
        }
        if !leads {
            pending.wake.wait()
            if let answer = pending.answer.withLock({ $0 }) { return answer }
            // Woken without an answer: this caller flushes next.
        }
        while true {
            let batch = self.queue.withLock { queue in
                defer { queue.waiting = [] }
                queue.batches += 1
                queue.calls += queue.waiting.reduce(0) { $0 + $1.calls.count }
                return queue.waiting
            }
            let answers = self.flush(batch)
            let connected = self.session.connection?.isOpen ?? false
            for (waiting, answer) in zip(batch, answers) {
                waiting.answer.withLock { $0 = answer }
                if waiting !== pending { waiting.wake.signal() }
            }
            let answered = pending.answer.withLock { $0 != nil }
            let next = self.queue.withLock { queue -> Pending? in
                queue.connected = connected
                guard let first = queue.waiting.first else {
                    queue.flushing = false
                    return nil
                }
                return answered ? first : nil
            }
            if let next {
                next.wake.signal()  // it flushes the calls queued meanwhile
                break
            }
            if answered { break }
        }
        return pending.answer.withLock { $0 }!
    }

    /// One batch: every caller's calls in one write; per caller, its replies or the error that failed the batch.
    private func flush(_ batch: [Pending]) -> [Result<[RedisReply], RedisError>] {
        let calls = batch.flatMap(\.calls)
        let session = self.session
        for attempt in 0..<2 {
            do throws(RedisError) {
                try self.connect()
                let replies = try session.evaluate(calls)
                var answers: [Result<[RedisReply], RedisError>] = []
                var start = 0
                for waiting in batch {
                    answers.append(.success(Array(replies[start..<(start + waiting.calls.count)])))
                    start += waiting.calls.count
                }
                return answers
            } catch {
                if session.connection != nil {
                    session.connection?.close()
                    session.connection = nil
                    session.hashes = [:]
                    session.hadOutage = true
                    // A closed connection (a restarted server, or one lost before the reply) gets one retry of the
                    // batch on a new connection: admissions and refunds carry tokens, so a script that had run
                    // counts once; the other scripts are idempotent or only ever count more. A timeout gets none:
                    // the scripts may still run.
                    if attempt == 0 && error.code == .connectionClosed {
                        session.lastError = error
                        continue
                    }
                    self.scheduleRetry(after: error)
                }
                return batch.map { _ in .failure(error) }
            }
        }
        let error = session.lastError ?? RedisError(.connectionClosed, "Redis closed the connection twice")
        return batch.map { _ in .failure(error) }
    }

    /// Makes sure the session has a live connection: connects (after the backoff), loads the scripts and runs
    /// ``onConnect``.
    private func connect() throws(RedisError) {
        let session = self.session
        if let connection = session.connection, connection.isOpen { return }
        if let next = session.nextAttempt, ContinuousClock.now < next {
            throw session.lastError
                ?? RedisError(.connectionFailed, "Redis at \(self.configuration.endpoint) is unreachable")
        }
        do throws(RedisError) {
            let connection = try RedisConnection(
                endpoint: self.configuration.endpoint,
                connectTimeout: self.configuration.connectTimeout,
                ioTimeout: self.configuration.ioTimeout
            )
            session.connection = connection
            session.hashes = [:]
            try session.load(RedisScript.allCases, on: connection)
            let afterOutage = session.hadOutage
            session.hadOutage = false
            if let hook = self.onConnect.withLock({ $0 }) { try hook(session, afterOutage) }
            session.nextAttempt = nil
            session.backoff = self.configuration.initialBackoff
        } catch {
            session.connection?.close()
            session.connection = nil
            session.hadOutage = true
            self.scheduleRetry(after: error)
            throw error
        }
    }

    private func scheduleRetry(after error: RedisError) {
        let session = self.session
        session.lastError = error
        session.nextAttempt = ContinuousClock.now + session.backoff
        session.backoff = min(session.backoff * 2, self.configuration.maximumBackoff)
    }
}
