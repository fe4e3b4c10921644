/// What a token bucket or GCRA holds at an instant, in nanoseconds of refill time: `credit / unit` units, negative
/// when uses are owed. A change of rate or burst converts it, so no use is forgotten and no unit is invented.
struct BucketLevel: Hashable, Sendable {
    /// Refill time banked, in nanoseconds; at most `capacity × unit`.
    var credit: Int64
    /// Nanoseconds to gain one unit.
    var unit: Int64

    /// A level of `units` whole units.
    static func units(_ units: Int, unit: Int64) -> Self {
        Self(credit: Int64(units).multipliedReportingOverflow(by: unit).partialValue, unit: unit)
    }

    /// The same units counted at `newUnit` nanoseconds each, at most `capacity` of them, rounded down (a change never
    /// adds a fraction of a unit): a deficit stays owed, refilled at the new rate.
    func credit(unit newUnit: Int64, capacity: Int) -> Int64 {
        let product = Int128(self.credit) * Int128(newUnit)
        var quotient = product / Int128(self.unit)
        if product < 0 && quotient * Int128(self.unit) != product { quotient -= 1 }
        return Int64(clamping: min(quotient, Int128(capacity) * Int128(newUnit)))
    }
}
