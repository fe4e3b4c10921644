/// A small, fast, seeded random number generator (Vigna's SplitMix64): the same seed gives the same sequence on
/// every platform and run. The strategies and backoff jitter draw from it, `SimulatedProvider` draws its faults and
/// latencies from it, so a run replays exactly. Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { self.state = seed }

    /// Creates a generator whose stream depends on both `seed` and `label` (FNV-1a of its UTF-8 bytes), so
    /// independent streams per key keep one key's draws from shifting another's.
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
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform `Double` in `0..<1` with 53 random bits.
    public mutating func nextUnitInterval() -> Double { Double(self.next() >> 11) * 0x1.0p-53 }
}
