// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "KeyRotation",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KeyRotation", targets: ["KeyRotation"]),
        .library(name: "KeyRotationHTTP", targets: ["KeyRotationHTTP"]),
        .library(name: "KeyRotationStore", targets: ["KeyRotationStore"]),
        .library(name: "KeyRotationRedis", targets: ["KeyRotationRedis"]),
        .library(name: "KeyRotationTesting", targets: ["KeyRotationTesting"]),
        .library(name: "KeyRotationServer", targets: ["KeyRotationServer"]),
        .library(name: "VirusTotal", targets: ["VirusTotal"]),
        .library(name: "Aptos", targets: ["Aptos"]),
        .library(name: "Nodit", targets: ["Nodit"]),
        .executable(name: "keyrotation", targets: ["KeyRotationCLI"]),
        .executable(name: "rotation-bench", targets: ["RotationBench"]),
    ],
    targets: [
        .target(name: "KeyRotation"),
        .target(
            name: "KeyRotationHTTP",
            dependencies: ["KeyRotation", .target(name: "CCurl", condition: .when(platforms: [.linux]))]
        ),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "KeyRotationStore", dependencies: ["KeyRotation", "CSQLite"]),
        .target(name: "KeyRotationRedis", dependencies: ["KeyRotation"]),
        .target(name: "KeyRotationTesting", dependencies: ["KeyRotation", "KeyRotationHTTP"]),
        // The gateway's HTTP/1.1 server: POSIX sockets, one thread per connection, no packages.
        .target(name: "KeyRotationServer"),
        .target(name: "VirusTotal", dependencies: ["KeyRotation", "KeyRotationHTTP", "KeyRotationStore"]),
        .target(name: "Aptos", dependencies: ["KeyRotation", "KeyRotationHTTP", "KeyRotationStore"]),
        .target(name: "Nodit", dependencies: ["Aptos", "KeyRotation", "KeyRotationHTTP"]),
        .executableTarget(
            name: "KeyRotationCLI",
            dependencies: [
                "KeyRotation", "KeyRotationHTTP", "KeyRotationStore", "KeyRotationServer", "VirusTotal", "Aptos",
                "Nodit",
            ]
        ),
        .executableTarget(
            name: "RotationBench",
            dependencies: [
                "KeyRotation", "KeyRotationHTTP", "KeyRotationRedis", "KeyRotationTesting", "CAllocationCounter",
            ],
            path: "Benchmarks/RotationBench",
            exclude: ["README.md"]
        ),
        // Counting wrappers around glibc's malloc, linked into rotation-bench only: allocations per operation.
        .target(name: "CAllocationCounter", path: "Benchmarks/CAllocationCounter"),
        .testTarget(name: "KeyRotationTests", dependencies: ["KeyRotation", "KeyRotationTesting"]),
        .testTarget(
            name: "KeyRotationHTTPTests",
            dependencies: ["KeyRotation", "KeyRotationHTTP", "KeyRotationTesting"]
        ),
        .testTarget(
            name: "KeyRotationStoreTests",
            dependencies: ["KeyRotation", "KeyRotationStore", "KeyRotationTesting", "StoreProbe"]
        ),
        // A helper process the store tests spawn to share one file between processes.
        .executableTarget(
            name: "StoreProbe",
            dependencies: ["KeyRotation", "KeyRotationStore"],
            path: "Tests/StoreProbe"
        ),
        .testTarget(
            name: "KeyRotationRedisTests",
            dependencies: ["KeyRotation", "KeyRotationRedis", "KeyRotationTesting", "RedisProbe"]
        ),
        // A helper process the Redis tests spawn: several replicas sharing one pool through one Redis.
        .executableTarget(
            name: "RedisProbe",
            dependencies: ["KeyRotation", "KeyRotationRedis"],
            path: "Tests/RedisProbe"
        ),
        .testTarget(
            name: "VirusTotalTests",
            dependencies: [
                "VirusTotal", "Aptos", "Nodit", "KeyRotation", "KeyRotationHTTP", "KeyRotationStore",
                "KeyRotationTesting",
            ]
        ),
        .testTarget(
            name: "AptosTests",
            dependencies: ["Aptos", "KeyRotation", "KeyRotationHTTP", "KeyRotationStore", "KeyRotationTesting"]
        ),
        .testTarget(
            name: "NoditTests",
            dependencies: ["Nodit", "Aptos", "KeyRotation", "KeyRotationHTTP", "KeyRotationTesting"]
        ),
        .testTarget(name: "KeyRotationServerTests", dependencies: ["KeyRotationServer"]),
        .testTarget(
            name: "KeyRotationCLITests",
            dependencies: ["KeyRotationCLI", "KeyRotationTesting", "KeyRotationHTTP"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.name != "CAllocationCounter" {
    var settings = target.swiftSettings ?? []
    settings += [
        .enableUpcomingFeature("ExistentialAny"),  // SE-0335: spell out `any HTTPTransport`
        .enableUpcomingFeature("MemberImportVisibility"),  // SE-0444
        .enableUpcomingFeature("InternalImportsByDefault"),  // SE-0409
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),  // SE-0461
        .treatWarning("ExplicitSendable", as: .error),  // public types must state Sendable
    ]
    target.swiftSettings = settings
}
