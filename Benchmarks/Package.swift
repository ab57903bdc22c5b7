// swift-tools-version:6.1
import PackageDescription

// Micro-benchmarks of Portcullis' hot path (ordo-one/package-benchmark). A package of its own so
// that the root package's `swift build` / `make test` never builds or resolves the benchmark
// framework. Run with `make bench-micro`, or:
//
//   swift package --package-path Benchmarks benchmark
//
// Only the MallocInterposer trait is enabled (malloc counts); the framework's ARC runtime
// interposer (the default "RuntimeInterposer" trait on Linux with Swift 6.3) is left off.
let package = Package(
    name: "PortcullisBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Portcullis", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .executableTarget(
            name: "PolicyBenchmarks",
            dependencies: [
                .product(name: "Portcullis", package: "Portcullis"),
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/PolicyBenchmarks",
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
