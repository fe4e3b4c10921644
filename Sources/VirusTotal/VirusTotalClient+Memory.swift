import Foundation
import KeyRotation
import KeyRotationHTTP
import Synchronization

extension VirusTotalClient {
    /// An answer kept in the in-memory ``ResponseCache``: the body as stored (a report or VirusTotal's
    /// `NotFoundError`), when it was fetched and by which key.
    struct CachedAnswer: Sendable {
        var payload: Data
        var fetchedAt: Timestamp
        var keyID: KeyID?
    }

    /// What the client counts for ``VirusTotalClient/statistics()``.
    struct Counters: Sendable {
        var lookups = 0
        var upstream = 0
        var cacheHits = 0
        var failures = 0
    }

    /// How long "forever" is for the in-memory cache when ``Configuration-swift.struct/reportTTL`` is zero: ten
    /// years, far beyond any process and well inside every clock's range.
    static var foreverTTL: Duration { .seconds(10 * 365 * 86_400) }

    /// The in-memory cache for `configuration`: bounded by ``Configuration-swift.struct/memoryCacheEntries`` and
    /// by 64 MiB of bodies; `nil` when the entry bound is 0.
    static func makeCache(_ configuration: Configuration, clock: C) -> ResponseCache<String, CachedAnswer, C>? {
        guard configuration.memoryCacheEntries > 0 else { return nil }
        return ResponseCache(
            configuration: .init(maximumEntries: configuration.memoryCacheEntries),
            clock: clock,
            sizer: { $0.payload.count }
        )
    }

    /// Keeps an answer in memory until `fetchedAt` + ``Configuration-swift.struct/reportTTL`` (ten years for a
    /// zero TTL); an answer already older than that is not kept.
    func remember(_ ioc: IOC, payload: Data, at fetchedAt: Timestamp, keyID: KeyID?) {
        guard let cache = self.cache else { return }
        let ttl = self.configuration.reportTTL
        let left = ttl == .zero ? Self.foreverTTL : ttl - fetchedAt.duration(to: self.rotator.now())
        cache.set(CachedAnswer(payload: payload, fetchedAt: fetchedAt, keyID: keyID), for: ioc.cacheKey, ttl: left)
    }

    /// The fresh answer in memory for `ioc`, read as a result, or `nil`.
    func rememberedAnswer(for ioc: IOC) -> LookupResult? {
        guard let entry = self.cache?.value(for: ioc.cacheKey) else { return nil }
        return self.answer(ioc, payload: entry.payload, fetchedAt: entry.fetchedAt, keyID: entry.keyID)
    }

    /// Runs `operation` as the one upstream lookup for `ioc`, or joins the one in flight.
    ///
    /// The shared lookup runs in a task of its own: a caller that is cancelled stops waiting at once (its result
    /// is ``VirusTotalError/Code/cancelled``) while the lookup goes on for the others and is still stored.
    func shared(_ ioc: IOC, _ operation: @escaping @Sendable () async -> LookupResult) async -> LookupResult {
        do {
            return try await self.flights.run(key: ioc.cacheKey, operation: operation)
        } catch {
            return self.failed(ioc, VirusTotalError(.cancelled, "the lookup of \(ioc) was cancelled"))
        }
    }

    /// Counts one event.
    func count(_ change: (inout Counters) -> Void) {
        self.counters.withLock { change(&$0) }
    }
}
