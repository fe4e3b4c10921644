import KeyRotationStore
import Testing

@Suite struct CheckpointStoreTests {
    @Test func aCheckpointNeverGoesBackwards() throws {
        let directory = try TestDirectory()
        let path = directory.path()
        do {
            let checkpoints = try KeyRotationStorage(path: path).checkpoints
            #expect(try checkpoints.value("aptos.mainnet") == nil)
            #expect(try checkpoints.advance("aptos.mainnet", to: 100) == 100)
            #expect(try checkpoints.advance("aptos.mainnet", to: 50) == 100)
            #expect(try checkpoints.advance("aptos.mainnet", to: 100) == 100)
            #expect(try checkpoints.advance("aptos.mainnet", to: UInt64(Int64.max) + 1) == UInt64(Int64.max) + 1)
            #expect(try checkpoints.advance("aptos.mainnet", to: 7) == UInt64(Int64.max) + 1)
            #expect(try checkpoints.advance("other", to: 3) == 3)
        }
        let checkpoints = try KeyRotationStorage(path: path).checkpoints
        #expect(try checkpoints.value("aptos.mainnet") == UInt64(Int64.max) + 1)
        #expect(try checkpoints.advance("aptos.mainnet", to: .max) == .max)
        #expect(try checkpoints.value("other") == 3)
    }
}
