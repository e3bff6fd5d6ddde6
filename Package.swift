// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Weft",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "weft", targets: ["weft"]),
        .library(name: "WeftAPI", targets: ["WeftAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "WeftAPI",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "WeftModel"),
        .target(
            name: "WeftControlPlane",
            dependencies: [
                "WeftAPI",
                "WeftModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "WeftTesting",
            dependencies: ["WeftAPI", "WeftModel", "WeftControlPlane"]
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftAPI",
                "WeftControlPlane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // `Benchmarks/config-decode.sh`: decode + validate throughput.
        .executableTarget(
            name: "weft-bench-config",
            dependencies: ["WeftAPI", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "WeftAPITests",
            dependencies: ["WeftAPI", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "WeftControlPlaneTests",
            dependencies: ["WeftControlPlane", "WeftAPI", "WeftModel", "WeftTesting"]
        ),
        .testTarget(
            name: "weftTests",
            dependencies: ["weft"]
        ),
    ]
)
