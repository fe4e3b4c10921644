import Foundation

/// The machine a run was measured on: CPU, cores, OS, Swift version, build configuration.
struct Machine: Sendable {
    var cpu: String
    var cores: Int
    var os: String
    var swift: String
    var build: String

    static func current() -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let pretty = release.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst(12).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        let info = ProcessInfo.processInfo
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        return Machine(
            cpu: model ?? Self.architecture,
            cores: info.activeProcessorCount,
            os: pretty ?? info.operatingSystemVersionString,
            swift: Self.swiftVersion,
            build: build
        )
    }

    var summary: String { "\(self.cpu), \(self.cores) cores, \(self.os), Swift \(self.swift), \(self.build) build" }

    private static var architecture: String {
        #if arch(x86_64)
            "x86_64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown CPU"
        #endif
    }

    private static var swiftVersion: String {
        #if swift(>=6.4)
            "≥ 6.4"
        #elseif swift(>=6.3)
            "6.3"
        #elseif swift(>=6.2)
            "6.2"
        #else
            "< 6.2"
        #endif
    }
}
