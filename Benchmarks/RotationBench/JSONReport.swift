import Foundation

/// Writes every figure of every row, with the machine and the options, as one JSON document.
enum JSONReport {
    static func data(rows: [ResultRow], machine: Machine, options: BenchOptions, seconds: Double) throws -> Data {
        let document: [String: Any] = [
            "tool": "rotation-bench",
            "machine": [
                "cpu": machine.cpu,
                "cores": machine.cores,
                "os": machine.os,
                "swift": machine.swift,
                "build": machine.build,
            ],
            "options": [
                "quick": options.quick,
                "seed": options.seed,
                "realTime": options.realTime,
                "scenarios": options.scenarios,
            ],
            "wallSeconds": seconds,
            "results": rows.map { row -> [String: Any] in
                var figures: [String: Any] = [:]
                for (name, value) in row.figures { figures[name] = value.isFinite ? value : NSNull() }
                var entry: [String: Any] = [
                    "scenario": row.scenario,
                    "variant": row.variant,
                    "pool": row.pool,
                    "driver": row.driver,
                    "figures": figures,
                ]
                if !row.keyShares.isEmpty {
                    entry["keyShares"] = row.keyShares
                    entry["entitledShares"] = row.entitledShares
                }
                if !row.useOverTime.isEmpty { entry["quotaUseOverTimePct"] = row.useOverTime }
                if !row.notes.isEmpty { entry["notes"] = row.notes }
                return entry
            },
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }
}
