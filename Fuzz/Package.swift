// swift-tools-version:6.1
// The libFuzzer target lives in its own package so the main build never links it without
// libFuzzer's `main`. Build and run it with `scripts/fuzz-config.sh`.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between checkouts.
let rootIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "WeftFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzerDriver"),
        .executableTarget(
            name: "weft-fuzz-config",
            dependencies: ["FuzzerDriver", .product(name: "WeftAPI", package: rootIdentity)]
        ),
    ]
)
