import Foundation
import KeyRotation
import KeyRotationTesting

/// A column of the printed table: a header, the figure it shows and how.
struct Column: Sendable {
    var header: String
    var figure: String
    var decimals: Int

    init(_ header: String, _ figure: String, decimals: Int = 0) {
        self.header = header
        self.figure = figure
        self.decimals = decimals
    }
}

/// One section of the report.
protocol BenchScenario: Sendable {
    /// The name `--scenario` takes.
    var name: String { get }
    /// The section's title.
    var title: String { get }
    /// The columns the table shows (the JSON has every figure).
    var columns: [Column] { get }
    /// Runs and returns one row per pool and variant.
    func run(_ options: BenchOptions) async -> [ResultRow]
}

/// A scenario made of closed-loop workloads, each run against every strategy and the naive baseline.
protocol WorkloadScenario: BenchScenario {
    func workloads(_ options: BenchOptions) -> [Workload]
}

extension WorkloadScenario {
    func run(_ options: BenchOptions) async -> [ResultRow] {
        var rows: [ResultRow] = []
        for workload in self.workloads(options) {
            var kinds: [WorkloadRunner<VirtualTimeline>.PoolKind] = workload.strategies.map { .strategy($0) }
            if workload.includesBaseline { kinds.append(.naive) }
            for kind in kinds {
                rows.append(await Self.run(workload, kind: kind, options: options))
            }
        }
        return rows
    }

    private static func run(
        _ workload: Workload,
        kind: WorkloadRunner<VirtualTimeline>.PoolKind,
        options: BenchOptions
    ) async -> ResultRow {
        let wall = ContinuousClock()
        let started = wall.now
        let pool: String
        let record: RunRecord
        let driver: String
        if options.realTime {
            let timeline = RealTimeline(startUTC: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
            let runner = WorkloadRunner(workload: workload, timeline: timeline, seed: options.seed)
            let realKind: WorkloadRunner<RealTimeline>.PoolKind =
                switch kind {
                case .strategy(let strategy): .strategy(strategy)
                case .naive: .naive
                }
            (pool, record) = await runner.run(realKind)
            driver = "wall-clock"
        } else {
            let runner = WorkloadRunner(workload: workload, timeline: VirtualTimeline(), seed: options.seed)
            (pool, record) = await runner.run(kind)
            driver = "virtual-async"
        }
        return ResultRow(
            workload: workload,
            pool: pool,
            driver: driver,
            record: record,
            realNanoseconds: started.duration(to: wall.now).nanoseconds
        )
    }
}

/// Every scenario, in report order.
enum ScenarioCatalog {
    static let all: [any BenchScenario] = [
        MicroBenchmark(),
        ClassicScenario(),
        UnevenKeysScenario(),
        VirusTotalDayScenario(),
        FaultsScenario(),
        UnknownLimitsScenario(),
        ManyKeysScenario(),
        ClientOverheadScenario(),
        RedisScenario(),
        TransportScenario(),
        GatewayScenario(),
    ]

    static var names: [String] { Self.all.map(\.name) }
}
