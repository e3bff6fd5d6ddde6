#!/usr/bin/env bash
# Sidecar start time (launch → ready, config received) and an idle sidecar's resident memory,
# beside a control plane on loopback. Uses the release build unless WEFT=path is given.
#   Benchmarks/sidecar-startup.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start_control_plane "$work"
disc=$WEFT_DISCOVERY_ADDRESS
echo "control plane discovery at $disc; $runs sidecar starts"
total=0
for i in $(seq "$runs"); do
  log="$work/sidecar-$i.log"
  start=$(date +%s%N)
  "$WEFT" proxy sidecar --concurrency 1 --pod-ip "127.0.77.$i" --port 9080 --discovery-address "$disc" > "$log" 2>&1 &
  pid=$!
  for _ in $(seq 400); do grep -q 'ready' "$log" && break; sleep 0.005; done
  ready=$(date +%s%N)
  ms=$(( (ready - start) / 1000000 ))
  total=$((total + ms))
  sleep 2
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  # RSS counts every shared page it maps (libraries, the binary); anonymous memory is what is its own.
  anon=$(awk '/^Pss_Anon:/ {print $2}' "/proc/$pid/smaps_rollup")
  echo "run $i: ready after ${ms} ms; idle RSS $((rss / 1024)) MiB (${rss} KiB), anonymous $((anon / 1024)) MiB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo "mean start: $((total / runs)) ms"
