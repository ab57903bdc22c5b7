// swift-tools-version:6.1
import PackageDescription

// Release builds skip runtime exclusivity checks on the hot path (measured ~1% of a NIO server's profile).
let releaseSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]

let package = Package(
    name: "Portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Portcullis", targets: ["Portcullis"]),
        .executable(name: "portcullis", targets: ["portcullis"]),
        .executable(name: "portcullis-demo", targets: ["portcullis-demo"]),
    ],
    // libclamav is GPL-2.0: building without this trait (`--disable-default-traits`) links no GPL code,
    // leaving clamd as the only scanning engine.
    traits: [
        .trait(name: "ClamAVInProcess", description: "Scan uploads with libclamav inside the gateway"),
        .default(enabledTraits: ["ClamAVInProcess"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.0.0"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
    ],
    targets: [
        .systemLibrary(name: "CClamAV", pkgConfig: "libclamav", providers: [.apt(["libclamav-dev"])]),
        .target(
            name: "Portcullis",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .target(name: "CClamAV", condition: .when(traits: ["ClamAVInProcess"])),
                "CHiredis",
                "CMaxMindDB",
            ],
            swiftSettings: releaseSwiftSettings
        ),
        // hiredis for the Redis protocol (encode and decode only; NIO moves the bytes).
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        // libmaxminddb (Debian: libmaxminddb-dev) for the geo gate.
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "Portcullis",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: releaseSwiftSettings
        ),
        .executableTarget(
            name: "portcullis-demo",
            dependencies: ["PortcullisDemo"],
            swiftSettings: releaseSwiftSettings
        ),
        // The demo application as a library, so integration tests can run it in process.
        .target(
            name: "PortcullisDemo",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: releaseSwiftSettings
        ),
        .testTarget(
            name: "PortcullisTests",
            dependencies: [
                "Portcullis",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Portcullis",
                "PortcullisDemo",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)

// libFuzzer targets (Tests/Fuzz), declared only when scripts/fuzz builds them, so `swift build`
// never sees them. The gateway's sources are compiled a second time, instrumented, as
// PortcullisFuzzed (a symlink to Sources/Portcullis); its dependencies are the main target's,
// already built by a debug `swift build`. PORTCULLIS_FUZZ_RUNTIME is libFuzzer's no-main archive:
// SwiftPM's debug link points `main` at `<module>_main`, which each target defines (FuzzDriver.run).
if let fuzzRuntime = Context.environment["PORTCULLIS_FUZZ_RUNTIME"] {
    let instrumented: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"]), .swiftLanguageMode(.v5)]
    let gateway = package.targets.first { $0.name == "Portcullis" }!
    package.targets += [
        .target(name: "PortcullisFuzzed", dependencies: gateway.dependencies, path: "Tests/Fuzz/Instrumented/Portcullis", swiftSettings: instrumented),
        .target(name: "FuzzSupport", dependencies: ["PortcullisFuzzed"], path: "Tests/Fuzz/Support", swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
    // The age-token target signs its tokens with swift-crypto; the upload target silences swift-log.
    let extra: [String: [Target.Dependency]] = [
        "age-token": [.product(name: "Crypto", package: "swift-crypto"), .product(name: "JWTKit", package: "jwt-kit")],
        "multipart-upload": [.product(name: "Logging", package: "swift-log")],
    ]
    for name in ["request-head", "config-loader", "policy-loader", "multipart-upload", "age-token", "redis-reply"] {
        package.targets.append(.executableTarget(
            name: "fuzz-\(name)",
            dependencies: [
                "PortcullisFuzzed", "FuzzSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ] + (extra[name] ?? []),
            path: "Tests/Fuzz/Targets/\(name)",
            swiftSettings: instrumented + [.unsafeFlags(["-parse-as-library"])],
            linkerSettings: [.unsafeFlags(["-sanitize=address", fuzzRuntime, "-lstdc++"])]
        ))
    }
}
