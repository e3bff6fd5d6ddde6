#!/usr/bin/env bash
# Regenerates the committed Swift for Protos/ (messages and gRPC stubs).
# Needs protoc (Debian: protobuf-compiler). Builds the two protoc plugins once, in .build-gen/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
gen="$root/.build-gen"
mkdir -p "$gen/plugins"
if [ ! -x "$gen/plugins/protoc-gen-swift" ] || [ ! -x "$gen/plugins/protoc-gen-grpc-swift-2" ]; then
  mkdir -p "$gen/package/Sources/Placeholder"
  cat > "$gen/package/Package.swift" <<'SWIFT'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
  name: "WeftProtoPlugins",
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
  ],
  targets: [.target(name: "Placeholder")]
)
SWIFT
  echo "// placeholder" > "$gen/package/Sources/Placeholder/Placeholder.swift"
  (cd "$gen/package" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
  cp "$gen/package/.build/release/protoc-gen-swift" "$gen/package/.build/release/protoc-gen-grpc-swift-2" "$gen/plugins/"
fi
out="$root/Sources/WeftDiscovery/Generated"
mkdir -p "$out"
# Messages of every file; gRPC stubs for the ones that define a service. protoc-gen-swift marks
# message types `@unchecked Sendable` and default instances `nonisolated(unsafe)`: its copy-on-write
# storage is immutable once shared, as the plugin's own comments say; the output is not edited.
protoc --proto_path="$root/Protos" \
  --plugin=protoc-gen-swift="$gen/plugins/protoc-gen-swift" \
  --swift_out="$out" --swift_opt=Visibility=Public \
  weft/discovery/v1/discovery.proto weft/discovery/v1/resources.proto weft/discovery/v1/certificates.proto \
  otlp/v1/trace_export.proto otlp/v1/logs_export.proto envoy/service/auth/v3/external_auth.proto
protoc --proto_path="$root/Protos" \
  --plugin=protoc-gen-grpc-swift="$gen/plugins/protoc-gen-grpc-swift-2" \
  --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Public,Client=true,Server=true \
  weft/discovery/v1/discovery.proto weft/discovery/v1/certificates.proto
# Envoy's ext_authz messages (above) have no stubs: the proxies call Check on their own HTTP/2 upstream streams.
# OTLP's trace and logs exports: the proxies are their clients only.
protoc --proto_path="$root/Protos" \
  --plugin=protoc-gen-grpc-swift="$gen/plugins/protoc-gen-grpc-swift-2" \
  --grpc-swift_out="$out" --grpc-swift_opt=Visibility=Public,Client=true,Server=false \
  otlp/v1/trace_export.proto otlp/v1/logs_export.proto
echo "generated into $out"
