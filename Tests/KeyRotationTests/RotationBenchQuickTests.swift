import Foundation
import KeyRotation
import KeyRotationTesting
import Testing

/// Runs the built `rotation-bench --quick --json FILE` once and checks its deterministic counts, never its timings.
@Suite("rotation-bench --quick")
struct RotationBenchQuickTests {

    struct Row {
        var scenario: String
        var variant: String
        var pool: String
        var figures: [String: Double]

        var isBaseline: Bool { self.pool.hasPrefix("naive") }
    }

    /// Runs the bench once per process; bounded by a 240 s wall-clock limit (the process is killed after that).
    /// Awaited, never waited on: blocking a thread of the concurrency pool for the bench's run would starve the
    /// other suites running in parallel.
    static let rows = Task<Result<[Row], BenchRunError>, Never> { await Self.runQuickBench() }

    private static func runQuickBench() async -> Result<[Row], BenchRunError> {
        guard let binary = BuiltProduct.named("rotation-bench")?.url else {
            return .failure(
                BenchRunError("rotation-bench was not found next to the test bundle; build it with `swift build`")
            )
        }
        let json = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rotation-bench-\(UUID().uuidString).json"
        )
        defer { try? FileManager.default.removeItem(at: json) }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--quick", "--json", json.path]
        process.standardOutput = FileHandle.nullDevice
        let timedOut = Locked(false)
        let started: Bool = await withCheckedContinuation { continuation in
            process.terminationHandler = { _ in continuation.resume(returning: true) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(returning: false)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + 240) {
                if process.isRunning {
                    timedOut.withLock { $0 = true }
                    process.terminate()
                }
            }
        }
        guard started else { return .failure(BenchRunError("cannot start rotation-bench")) }
        if timedOut.value { return .failure(BenchRunError("rotation-bench --quick did not finish within 240 s")) }
        guard process.terminationStatus == 0 else {
            return .failure(BenchRunError("rotation-bench --quick exited with status \(process.terminationStatus)"))
        }
        guard let data = try? Data(contentsOf: json),
            let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let results = document["results"] as? [[String: Any]]
        else { return .failure(BenchRunError("rotation-bench --quick wrote no readable JSON")) }
        return .success(
            results.map { entry in
                Row(
                    scenario: entry["scenario"] as? String ?? "",
                    variant: entry["variant"] as? String ?? "",
                    pool: entry["pool"] as? String ?? "",
                    figures: (entry["figures"] as? [String: Any] ?? [:]).compactMapValues {
                        ($0 as? NSNumber)?.doubleValue
                    }
                )
            }
        )
    }

    struct BenchRunError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    @Test("every scenario reports rows for every strategy and the baseline, and none stalled")
    func everyScenarioRuns() async throws {
        let rows = try await Self.rows.value.get()
        for scenario in ["micro", "classic", "uneven", "virustotal", "faults", "unknown-limits", "many-keys"] {
            let pools = Set(rows.filter { $0.scenario == scenario }.map(\.pool))
            #expect(pools.count == 5, "scenario \(scenario) has pools \(pools.sorted())")
        }
        for row in rows { #expect(row.figures["stalled"] == nil, "\(row.scenario) \(row.variant) \(row.pool) stalled") }
    }

    @Test("known limits: the SDK's pools get no 429")
    func knownLimitsGiveNo429() async throws {
        let rows = try await Self.rows.value.get().filter {
            ["classic", "uneven", "virustotal", "faults"].contains($0.scenario)
        }
        #expect(!rows.isEmpty)
        for row in rows where !row.isBaseline {
            #expect(row.figures["http_429"] == 0, "\(row.scenario) \(row.variant) \(row.pool)")
        }
    }

    @Test("gateway: every request through keyrotation serve and direct is answered 200, for 1 and 32 clients")
    func gatewayAnswersEveryRequest() async throws {
        let rows = try await Self.rows.value.get().filter { $0.scenario == "gateway" }
        #expect(rows.count == 2)
        for row in rows { #expect(row.figures["failed"] == 0, "\(row.variant)") }
    }

    @Test("faults: the SDK's pools lose no request")
    func faultsLoseNothing() async throws {
        let rows = try await Self.rows.value.get().filter { $0.scenario == "faults" && !$0.isBaseline }
        #expect(rows.count == 4)
        for row in rows {
            #expect(row.figures["lost"] == 0, "\(row.pool)")
            #expect((row.figures["http_401"] ?? 0) > 0, "\(row.pool): the invalid key was never met")
            #expect((row.figures["http_5xx_or_reset"] ?? 0) > 0, "\(row.pool): the flapping key was never met")
        }
    }

    @Test("classic, 4 keys 100 ms apart: exactly 40 requests per virtual second")
    func classicServesTheFullRate() async throws {
        let rows = try await Self.rows.value.get().filter { $0.scenario == "classic" && $0.variant.hasPrefix("4 keys") }
        #expect(rows.count == 5)
        for row in rows { #expect(row.figures["served_per_s"] == 40, "\(row.pool)") }
    }
}
