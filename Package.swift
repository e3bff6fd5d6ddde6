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
    ],
    targets: [
        .target(
            name: "WeftAPI",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "WeftControlPlane",
            dependencies: ["WeftAPI"]
        ),
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftAPI",
                "WeftControlPlane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            dependencies: ["WeftControlPlane", "WeftAPI"]
        ),
        .testTarget(
            name: "weftTests",
            dependencies: ["weft"]
        ),
    ]
)
