#!/usr/bin/env bash
# Decode + validate throughput: N resources (default 10000) through WeftAPI, beside YAML parsing alone.
#   Benchmarks/config-decode.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product weft-bench-config >/dev/null
corpus=../shared/istio-corpus/samples
[ -d "$corpus" ] || corpus=""
.build/release/weft-bench-config "${1:-10000}" $corpus
