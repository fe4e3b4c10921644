extension CompositeLimiter {
    /// Replaces the limits at `now`, carrying every recorded use into the new ones, so a change never hands out
    /// capacity the old limits had spent.
    ///
    /// Each new limit takes over an old one: the same limit if it is still there, else one of the same shape, else
    /// one of the same kind (a token bucket and a GCRA count as one kind). It keeps that limit's state:
    /// - a token bucket or GCRA keeps the units it holds now, converted to the new rate (a deficit stays owed and
    ///   refills at the new rate; a lowered burst drops the excess, a raised one adds nothing);
    /// - a rolling window keeps its log, a calendar quota the units spent in the current period (counted in the
    ///   new period that contains now);
    /// - minimum spacing keeps the last use.
    ///
    /// A limit of a kind the old limits did not have starts from the least any old limit left over had remaining
    /// (uses stamped now, for a window), and a new spacing from the latest use they knew; with nothing left over it
    /// starts unused.
    public mutating func setLimits(_ limits: [RateLimit], at now: Timestamp) {
        var leftover = Array(self.parts.indices)
        var predecessor = [Int?](repeating: nil, count: limits.count)
        let matches: [(RateLimit, RateLimit) -> Bool] = [
            { $0 == $1 }, { Self.shape(of: $0) == Self.shape(of: $1) }, { Self.kind(of: $0) == Self.kind(of: $1) },
        ]
        for matches in matches {
            for (index, limit) in limits.enumerated() where predecessor[index] == nil {
                guard let found = leftover.firstIndex(where: { matches(self.limits[$0], limit) }) else { continue }
                predecessor[index] = leftover.remove(at: found)
            }
        }
        let seed = Seed(leftover.map { (self.parts[$0], self.limits[$0]) }, at: now)
        self.parts = limits.indices.map { index in
            if let old = predecessor[index], self.limits[old] == limits[index] { return self.parts[old] }
            if let old = predecessor[index] { return Self.carry(self.parts[old], into: limits[index], at: now) }
            return seed.part(for: limits[index], at: now)
        }
        self.limits = limits
        self.settlesAtCompletion = self.parts.contains { Self.settles($0) }
    }

    private enum Kind: Hashable { case bucket, spacing, calendar, strict }

    private static func kind(of limit: RateLimit) -> Kind {
        switch limit.wrapped {
        case .tokenBucket, .gcra: .bucket
        case .minimumSpacing: .spacing
        case .calendar: .calendar
        case .strict: .strict
        }
    }

    /// The kind and time parameters of a limit, not its count.
    private static func shape(of limit: RateLimit) -> String {
        switch limit.wrapped {
        case .tokenBucket, .gcra: "bucket/\(limit.unitNanoseconds)"
        case .minimumSpacing: "spacing"
        case .calendar(_, let period): "calendar/\(period)"
        case .strict(_, let window): "strict/\(window.nanoseconds)"
        }
    }

    /// `old`'s state under `limit`, a limit of the same kind.
    private static func carry(_ old: Part, into limit: RateLimit, at now: Timestamp) -> Part {
        switch (old, limit.wrapped) {
        case (.tokenBucket(let bucket), _):
            let (level, instant) = bucket.level(at: now)
            return Self.bucketPart(limit, level: level, at: instant)
        case (.gcra(let gcra), _):
            return Self.bucketPart(limit, level: gcra.level(at: now), at: now)
        case (.spacing(let spacing), .minimumSpacing(let interval)):
            return .spacing(spacing.withInterval(interval))
        case (.calendar(let window), .calendar(let count, let period)):
            let from = max(now, window.countingFrom)
            return .calendar(CalendarWindowLimiter(limit: count, period: period, used: window.usedCount(at: now), at: from))
        case (.strict(let window), .strict(let count, let length)):
            return .strict(window.resized(limit: count, window: length))
        default:
            return Self.makePart(limit, now: now)
        }
    }

    /// A token bucket or GCRA for `limit` holding `level` at `instant`.
    fileprivate static func bucketPart(_ limit: RateLimit, level: BucketLevel, at instant: Timestamp) -> Part {
        switch limit.wrapped {
        case .tokenBucket(let capacity, _):
            .tokenBucket(
                TokenBucketLimiter(
                    capacity: capacity,
                    refillNanoseconds: limit.unitNanoseconds,
                    level: level,
                    at: instant
                )
            )
        case .gcra(_, _, let burst):
            .gcra(GCRALimiter(emissionNanoseconds: limit.unitNanoseconds, burst: burst, level: level, at: instant))
        default:
            Self.makePart(limit, now: instant)
        }
    }

    /// What the old limits no new limit took over knew: how much the tightest had left, and the latest use.
    private struct Seed {
        /// The least units any of them had left now; `nil` when none counts units.
        var remaining: Int?
        /// The latest instant a use can have been made, for a new spacing: the latest use a log or spacing knew,
        /// or now when a limit without instants had units spent.
        var latestUse: Timestamp?

        init(_ parts: [(Part, RateLimit)], at now: Timestamp) {
            for (part, limit) in parts {
                let left: Int?
                switch part {
                case .tokenBucket(let bucket): left = bucket.remaining(at: now)
                case .gcra(let gcra): left = gcra.remaining(at: now)
                case .spacing(let spacing):
                    left = nil
                    if let last = spacing.lastUseInstant { self.noteUse(last) }
                case .calendar(let window): left = window.remaining(at: max(now, window.countingFrom))
                case .strict(let window):
                    left = window.remaining(at: now)
                    if let last = window.latestUse { self.noteUse(last) }
                }
                guard let left else { continue }
                self.remaining = min(self.remaining ?? left, left)
                if case .strict = part { continue }
                if left < (limit.capacity ?? 0) { self.noteUse(now) }
            }
        }

        private mutating func noteUse(_ instant: Timestamp) { self.latestUse = max(self.latestUse ?? instant, instant) }

        /// A part for `limit` that admits no more than the old limits had left.
        func part(for limit: RateLimit, at now: Timestamp) -> Part {
            guard let remaining = self.remaining else {
                if case .minimumSpacing(let interval) = limit.wrapped {
                    return .spacing(MinimumSpacingLimiter(interval: interval, lastUse: self.latestUse))
                }
                return CompositeLimiter.makePart(limit, now: now)
            }
            switch limit.wrapped {
            case .tokenBucket, .gcra:
                return CompositeLimiter.bucketPart(
                    limit,
                    level: .units(remaining, unit: limit.unitNanoseconds),
                    at: now
                )
            case .minimumSpacing(let interval):
                return .spacing(MinimumSpacingLimiter(interval: interval, lastUse: self.latestUse))
            case .calendar(let count, let period):
                let used = count - min(count, remaining)
                return .calendar(CalendarWindowLimiter(limit: count, period: period, used: used, at: now))
            case .strict(let count, let window):
                return .strict(StrictWindowLimiter(limit: count, window: window, uses: count - min(count, remaining), at: now))
            }
        }
    }
}
