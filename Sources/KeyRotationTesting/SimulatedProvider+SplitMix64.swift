/// A small, fast, seeded random number generator (SplitMix64): the same seed gives the same sequence on every
/// platform and run.
///
/// ``SimulatedProvider`` draws its faults and latencies from it, so a scenario replays exactly; the benchmark can
/// use it for seeded workloads. Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Creates a generator whose stream depends on both `seed` and `label` (FNV-1a of its UTF-8 bytes).
    ///
    /// Independent streams per key keep one key's draws from shifting another's.
    public init(seed: UInt64, label: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in label.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        var mixer = SplitMix64(seed: seed ^ hash)
        self.state = mixer.next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in `0..<1` with 53 random bits.
    public mutating func nextUnitInterval() -> Double {
        Double(self.next() >> 11) * 0x1.0p-53
    }
}
