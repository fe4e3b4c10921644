import Foundation
import KeyRotation

// rotation-bench: throughput, fairness and quota use of every strategy (see Benchmarks/RotationBench/README.md).

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("rotation-bench: \(error)\n".utf8))
    exit(64)
}
if options.showsHelp {
    print(BenchOptions.usage)
    exit(0)
}

let machine = Machine.current()
let wall = ContinuousClock()
let started = wall.now
print("rotation-bench on \(machine.summary)")
print(
    "seed \(options.seed)\(options.quick ? ", quick sizes" : "")\(options.realTime ? ", wall-clock time" : ", virtual time")"
)
print("")

var rows: [ResultRow] = []
let selected = ScenarioCatalog.all.filter { options.scenarios.isEmpty || options.scenarios.contains($0.name) }
for scenario in selected {
    let sectionStart = wall.now
    let sectionRows = await scenario.run(options)
    rows += sectionRows
    print(TableRenderer().render(title: scenario.title, columns: scenario.columns, rows: sectionRows))
    let driver = sectionRows.first?.driver ?? "-"
    print("  (\(driver) driver, \(TableRenderer.format(sectionStart.duration(to: wall.now).seconds, 1)) s)\n")
}
let seconds = started.duration(to: wall.now).seconds
print("done in \(TableRenderer.format(seconds, 1)) s")

do {
    if let path = options.jsonPath {
        try JSONReport.data(rows: rows, machine: machine, options: options, seconds: seconds)
            .write(to: URL(fileURLWithPath: path))
    }
    if let path = options.svgPath {
        try Data(SVGReport.document(rows: rows, machine: machine).utf8).write(to: URL(fileURLWithPath: path))
    }
} catch {
    FileHandle.standardError.write(Data("rotation-bench: cannot write the report: \(error)\n".utf8))
    exit(73)
}
