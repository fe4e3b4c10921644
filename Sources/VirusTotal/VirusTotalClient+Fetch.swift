import Foundation
import KeyRotation
import KeyRotationHTTP
import KeyRotationStore
import Synchronization

extension VirusTotalClient {
    /// The store's `type` of an indicator's answers: VirusTotal's object type (`file`, `domain`, `ip_address`,
    /// `url`). The store's `id` is the indicator's ``IOC/cacheKey``, so a second run finds it.
    static func storedType(of ioc: IOC) -> String { ioc.kind.objectType.rawValue }

    /// A fresh answer from memory or the store, or `nil`.
    func cachedAnswer(for ioc: IOC) -> LookupResult? {
        if let remembered = self.rememberedAnswer(for: ioc) { return remembered }
        guard let storage = self.configuration.storage,
            let stored = try? storage.reports.fresh(
                id: ioc.cacheKey,
                type: Self.storedType(of: ioc),
                ttl: self.configuration.reportTTL,
                at: self.rotator.now()
            ),
            let answer = self.answer(ioc, payload: stored.payload, fetchedAt: stored.fetchedAt, keyID: stored.keyID)
        else { return nil }
        self.remember(ioc, payload: stored.payload, at: stored.fetchedAt, keyID: stored.keyID)
        return answer
    }

    /// Reads a stored body: a report (served from cache) or VirusTotal's `NotFoundError` (not found).
    func answer(_ ioc: IOC, payload: Data, fetchedAt: Timestamp, keyID: KeyID?) -> LookupResult? {
        if let report = try? VirusTotalReport(json: payload, expecting: ioc.kind.objectType) {
            return LookupResult(
                input: ioc.value,
                ioc: ioc,
                status: .servedFromCache,
                report: report,
                fetchedAt: fetchedAt,
                keyID: keyID
            )
        }
        guard VirusTotalClassifier.classify(HTTPResponse(status: 404, body: payload)).providerCode == "NotFoundError"
        else { return nil }
        return LookupResult(input: ioc.value, ioc: ioc, status: .notFound, fetchedAt: fetchedAt, keyID: keyID)
    }

    /// The body stored for a "not found": VirusTotal's `NotFoundError` shape, written by the client rather than
    /// copied from the reply, so no text of the server's ends up in the store.
    static func notFoundPayload(for ioc: IOC) -> Data {
        let object: [String: [String: String]] = [
            "error": ["code": "NotFoundError", "message": "\(ioc.kind.objectType) \"\(ioc.identifier)\" not found"]
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// Asks VirusTotal (or, inside a flight that started after another one finished, the cache again).
    ///
    /// - Parameter queueItem: The queue item this lookup drains: its answer is stored and the item removed in one
    ///   transaction.
    func fetch(_ ioc: IOC, options: LookupOptions, queueItem: Int64?) async -> LookupResult {
        if queueItem == nil, !options.forceRefresh, let cached = self.cachedAnswer(for: ioc) {
            self.count { $0.cacheHits += 1 }
            return cached
        }
        let start = self.clock.now
        let wait = options.maximumWait ?? self.configuration.lookupTimeout
        if options.queuesWhenLimited, let eta = self.rotator.eta(), start.duration(to: eta) > wait {
            return self.enqueue(ioc, eta: self.rotator.timestamp(eta), queueItem: queueItem)
        }
        // A queueing lookup found a key free now; if that key refuses it, it waits for another at most
        // `queueingWait` (or its own wait, if longer), then is queued.
        let deadline = start.advanced(
            by: options.queuesWhenLimited
                ? min(self.configuration.lookupTimeout, max(wait, self.configuration.queueingWait)) : wait
        )
        let sent: RotatingClient<C>.Result
        do {
            sent = try await self.send(
                ioc,
                deadline: deadline,
                waitsAgain: options.maximumWait == nil && !options.queuesWhenLimited && queueItem == nil
            )
        } catch let error as RotatingClientError {
            let failure = VirusTotalError(error)
            if failure.code == .allKeysLimited, options.queuesWhenLimited || queueItem != nil,
                self.configuration.storage != nil
            {
                return self.enqueue(
                    ioc,
                    eta: failure.eta ?? self.rotator.now().advanced(by: .seconds(60)),
                    queueItem: queueItem
                )
            }
            return self.failed(ioc, failure)
        } catch {
            return self.failed(ioc, VirusTotalError(.cancelled, "the lookup of \(ioc) was cancelled"))
        }
        let fetchedAt = self.rotator.now()
        let keyID = sent.keyID
        let body = self.redacting(sent.response.body)
        switch sent.classification.kind {
        case .success:
            let report: VirusTotalReport
            do { report = try VirusTotalReport(json: body, expecting: ioc.kind.objectType) } catch {
                return self.failed(
                    ioc,
                    VirusTotalError(.malformedResponse, error.message, keyID: keyID, status: sent.response.status)
                )
            }
            self.persist(ioc, payload: body, at: fetchedAt, keyID: keyID, queueItem: queueItem)
            self.count { $0.upstream += 1 }
            return LookupResult(
                input: ioc.value,
                ioc: ioc,
                status: .servedLive,
                report: report,
                fetchedAt: fetchedAt,
                keyID: keyID,
                remainingQuota: self.remainingQuota(of: keyID)
            )
        case .notFound:
            let payload = Self.notFoundPayload(for: ioc)
            self.persist(ioc, payload: payload, at: fetchedAt, keyID: keyID, queueItem: queueItem)
            self.count { $0.upstream += 1 }
            return LookupResult(
                input: ioc.value,
                ioc: ioc,
                status: .notFound,
                fetchedAt: fetchedAt,
                keyID: keyID,
                remainingQuota: self.remainingQuota(of: keyID)
            )
        case .forbidden:
            let said = sent.classification.message.map { " (\($0))" } ?? ""
            return self.failed(
                ioc,
                VirusTotalError(
                    .upstream,
                    "VirusTotal refused the lookup of \(ioc) on every key with 403\(said): the endpoint or privilege "
                        + "needs a plan none of the keys has; the keys stay in use",
                    keyID: keyID,
                    status: sent.response.status,
                    providerCode: sent.classification.providerCode
                )
            )
        default:
            let said = sent.classification.message.map { ": \($0)" } ?? ""
            return self.failed(
                ioc,
                VirusTotalError(
                    .upstream,
                    "VirusTotal refused the lookup with status \(sent.response.status)\(said); check the indicator "
                        + "and the base URL",
                    keyID: keyID,
                    status: sent.response.status,
                    providerCode: sent.classification.providerCode
                )
            )
        }
    }

    /// The most times a lookup waits its turn for a key again (``send(_:deadline:waitsAgain:)``): an hour with the
    /// default lookup timeout.
    static var maximumWaits: Int { 30 }

    /// Sends the lookup of `ioc`. With `waitsAgain`, a lookup that ran out of time only because every key was busy
    /// (a batch wider than the pool, or a retry after a 5xx that went to the back of the line) waits again, with a new
    /// deadline one lookup timeout away, as long as the pool frees a key within that timeout; a pool spent for the
    /// day (a key free only later) still fails at once.
    private func send(
        _ ioc: IOC,
        deadline: C.Instant,
        waitsAgain: Bool
    ) async throws -> RotatingClient<C>.Result {
        var deadline = deadline
        var waits = 0
        while true {
            do {
                return try await self.client.send(self.client.profile.request(.get, ioc.apiPath), deadline: deadline)
            } catch let error as RotatingClientError where waitsAgain && error.code == .allKeysLimited {
                let now = self.rotator.now()
                guard waits < Self.maximumWaits, let eta = error.eta,
                    now.duration(to: eta) <= self.configuration.lookupTimeout
                else { throw error }
                waits += 1
                deadline = self.clock.now.advanced(by: self.configuration.lookupTimeout)
            }
        }
    }

    /// A failure, counted; its message is redacted of every key of the pool (a server may echo a key back).
    func failed(_ ioc: IOC, _ error: VirusTotalError) -> LookupResult {
        self.count { $0.failures += 1 }
        var error = error
        error.message = self.redacted(error.message)
        return LookupResult(input: ioc.value, ioc: ioc, status: .failed(error), keyID: error.keyID)
    }

    /// `text` with every secret of the pool replaced by `<redacted>`.
    func redacted(_ text: String) -> String {
        var text = text
        for key in self.rotator.keys where !key.secret.isEmpty && text.contains(key.secret) {
            text = text.replacingOccurrences(of: key.secret, with: "<redacted>")
        }
        return text
    }

    /// `body` with every secret of the pool replaced by `<redacted>`: a report that echoes a key (a hostile or
    /// broken server) is stored and printed without it. Bodies without a secret are returned untouched.
    func redacting(_ body: Data) -> Data {
        let secrets = self.rotator.keys.map { Data($0.secret.utf8) }.filter { !$0.isEmpty }
        guard secrets.contains(where: { body.range(of: $0) != nil }) else { return body }
        return Data(self.redacted(String(decoding: body, as: UTF8.self)).utf8)
    }

    private func persist(
        _ ioc: IOC,
        payload: Data,
        at fetchedAt: Timestamp,
        keyID: KeyID?,
        queueItem: Int64?
    ) {
        self.remember(ioc, payload: payload, at: fetchedAt, keyID: keyID)
        guard let storage = self.configuration.storage else { return }
        let report = StoredReport(
            id: ioc.cacheKey,
            type: Self.storedType(of: ioc),
            payload: payload,
            fetchedAt: fetchedAt,
            keyID: keyID
        )
        // A failed write costs a later lookup one request; the answer in hand is still good.
        if let queueItem {
            _ = try? storage.requests.complete(id: queueItem, storing: report)
        } else {
            try? storage.reports.upsert(report)
        }
    }

    /// Puts the lookup in the persistent queue (or moves its ETA when it is already queued).
    private func enqueue(_ ioc: IOC, eta: Timestamp, queueItem: Int64?) -> LookupResult {
        guard let storage = self.configuration.storage else {
            return self.failed(
                ioc,
                VirusTotalError(
                    .allKeysLimited,
                    "every key is limited and there is no store to queue the lookup in: wait, or configure a store",
                    eta: eta
                )
            )
        }
        do {
            if let queueItem {
                try storage.requests.reschedule(id: queueItem, eta: eta)
            } else {
                try storage.requests.enqueue(
                    kind: Self.queueKind,
                    payload: ioc.cacheKey,
                    eta: eta,
                    at: self.rotator.now()
                )
            }
        } catch {
            return self.failed(ioc, VirusTotalError(.storage, "the lookup could not be queued: \(error)", eta: eta))
        }
        return LookupResult(input: ioc.value, ioc: ioc, status: .queued(eta: eta))
    }

    /// The tightest remaining quota of a key now.
    func remainingQuota(of keyID: KeyID?) -> Int? {
        guard let keyID else { return nil }
        let pool = self.rotator.statistics().keys.first { $0.id == keyID }?.remaining.compactMap(\.remaining).min()
        return self.remainingQuota(of: keyID, pool: pool)
    }

    /// `pool`, what the pool counts left on a key, lowered to what the store counts: a pool started on a store
    /// knows how many uses earlier runs made in a rolling window but not when, so it can't count them itself.
    func remainingQuota(of keyID: KeyID, pool: Int?) -> Int? {
        let now = self.rotator.now()
        guard let store = self.configuration.storage?.keyState,
            let key = self.rotator.keys.first(where: { $0.id == keyID }),
            let stored = (try? store.remaining(fingerprint: key.fingerprint, limits: key.limits, at: now)) ?? nil
        else { return pool }
        return pool.map { min($0, stored) } ?? stored
    }
}
