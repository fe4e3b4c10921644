// A helper process for KeyRotationStoreTests: several of these share one store file to prove that admissions
// across processes never exceed a quota. Also measures admission time once, by hand.
//
//   StoreProbe admit <path> <fingerprint> <attempts> <nanoseconds since epoch>   prints how many were admitted
//   StoreProbe bench <path> <iterations>                                         prints ns per admission
import Foundation
import KeyRotation
import KeyRotationStore

let arguments = CommandLine.arguments
let quota = RateLimit.calendar(250, per: .day)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

do {
    switch arguments.count > 1 ? arguments[1] : "" {
    case "admit" where arguments.count == 6:
        guard let attempts = Int(arguments[4]), let nanos = Int64(arguments[5]) else { fail("bad numbers") }
        let store = try SQLiteKeyStateStore(path: arguments[2])
        let now = Timestamp(nanosecondsSinceEpoch: nanos)
        var admitted = 0
        for _ in 0..<attempts {
            if case .admitted = try store.admit(fingerprint: arguments[3], cost: 1, limits: [quota], at: now) {
                admitted += 1
            }
        }
        print(admitted)
    case "bench" where arguments.count == 4:
        guard let iterations = Int(arguments[3]), iterations > 0 else { fail("bad iteration count") }
        let store = try SQLiteKeyStateStore(path: arguments[2])
        let limits: [RateLimit] = [.calendar(Int.max / 2, per: .day), .strict(1_000, per: .seconds(1))]
        let start = Timestamp(nanosecondsSinceEpoch: 1_767_225_600 * 1_000_000_000)
        let clock = ContinuousClock()
        let calendarOnly = clock.measure {
            for index in 0..<iterations {
                _ = try? store.admit(
                    fingerprint: "bench-a",
                    cost: 1,
                    limits: [limits[0]],
                    at: start.advanced(by: .milliseconds(index))
                )
            }
        }
        let withLog = clock.measure {
            for index in 0..<iterations {
                _ = try? store.admit(
                    fingerprint: "bench-b",
                    cost: 1,
                    limits: limits,
                    at: start.advanced(by: .milliseconds(index))
                )
            }
        }
        print("admit calendar: \((calendarOnly / iterations).nanoseconds) ns/op")
        print("admit calendar+strict(1000/1s, ~1000 uses in window): \((withLog / iterations).nanoseconds) ns/op")
    default:
        fail("usage: StoreProbe admit <path> <fingerprint> <attempts> <nanos> | bench <path> <iterations>")
    }
} catch {
    fail("\(error)")
}
