#!/usr/bin/env bash
# Builds the libFuzzer target over decode + validate (Fuzz/, its own package) and runs it.
#   scripts/fuzz-config.sh [SECONDS]   (default 600)
# Seeds: every YAML in ../shared/istio-corpus (samples, docs-tasks, analyze/testdata), when present.
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds="${1:-600}"
swift build -c release --product weft-fuzz-config \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
work=".build/corpus"
mkdir -p "$work" .build/artifacts
if [ -d ../../shared/istio-corpus ]; then
  find ../../shared/istio-corpus \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | while read -r f; do
    cp "$f" "$work/seed-$(echo "$f" | md5sum | cut -c1-12).yaml"
  done
fi
exec .build/release/weft-fuzz-config "$work" -max_total_time="$seconds" -max_len=16384 \
  -artifact_prefix=.build/artifacts/ -print_final_stats=1
