#!/usr/bin/env bash
# gRPC unary calls through the mesh beside a direct connection and beside HAProxy in HTTP/2 mode,
# in one run. A grpcio server (Tests/Fixtures/grpc_peers.py) is the upstream; grpcio's client
# keeps CONCURRENCY calls in flight on one channel (one HTTP/2 connection) over four paths:
#   (a) direct:   client → the server app (h2c)
#   (b) weft:     → the client's Sidecar egress GRPC port (pod IP:50051) → the server's sidecar → the app,
#                 Istio mutual TLS between the sidecars (the default), HTTP/2 on every hop
#   (c) haproxy:  → HAProxy (h2c) → HAProxy (h2c) → the app
#   (d) weft-proxy: as (b), the client tunnelling through http_proxy (CONNECT to 15001, served as HTTP/2)
# Prints calls per second, p50 and p99 (ms), each path's ratio to direct and to HAProxy, and the
# proxies' CPU microseconds per call (both proxies of a pair together). The Python client and server
# bound the rate; the latency and CPU columns are the proxies' part.
#   Benchmarks/grpc.sh [CALLS per path, default 20000] [CONCURRENCY, default 8]
# Needs: haproxy, python3 with grpcio. Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${1:-20000}"
concurrency="${2:-8}"
command -v haproxy >/dev/null || { echo "needs haproxy (apt-get install -y haproxy)" >&2; exit 2; }
python3 -c 'import grpc' 2>/dev/null || { echo "needs grpcio (pip install grpcio)" >&2; exit 2; }
. Benchmarks/lib.sh
weft_release
peers=Tests/Fixtures/grpc_peers.py
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

start_control_plane "$work"
pids+=($CP_PID)
"$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bench-grpc}
spec:
  selector: {app: bench-grpc}
  ports: [{name: grpc, port: 50051}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: bench-client}
spec:
  workloadSelector: {labels: {app: bench-client}}
  egress:
  - port: {number: 50051, protocol: GRPC, name: grpc}
    captureMode: NONE
    hosts: ["./bench-grpc.default.svc.cluster.local"]
YAML
"$WEFT" run --labels app=bench-grpc --port 50051 --name bench-grpc -- \
  sh -c "echo \$WEFT_APP_ADDRESS > $work/server-app; exec python3 $peers serve \$WEFT_APP_ADDRESS 50051 bench" > "$work/server.log" 2>&1 &
server_pid=$!; pids+=($server_pid)
"$WEFT" run --labels app=bench-client --name bench-client -- sh -c "echo \$WEFT_POD_IP > $work/client-pod; exec sleep 1000000" > "$work/client.log" 2>&1 &
client_pid=$!; pids+=($client_pid)
for _ in $(seq 400); do [ -s "$work/client-pod" ] && [ -s "$work/server-app" ] && break; sleep 0.05; done
client_pod=$(cat "$work/client-pod"); server_app=$(cat "$work/server-app")
for _ in $(seq 200); do
  python3 "$peers" unary "$client_pod:50051" bench-grpc:50051 1 2>/dev/null | grep -q 'bench:0' && break; sleep 0.1
done

hp1=$((20000 + RANDOM % 10000)); hp2=$((hp1 + 1))
haproxy_conf() { # name listen-port upstream
  cat > "$work/$1.cfg" <<HAPROXY
global
  nbthread $(proxy_concurrency)
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend in
  bind 127.0.0.1:$2 proto h2
  default_backend out
backend out
  server up $3 proto h2
HAPROXY
  haproxy -f "$work/$1.cfg" > "$work/$1.log" 2>&1 &
}
haproxy_conf hp2 "$hp2" "$server_app:50051"; hp2_pid=$!; pids+=($hp2_pid)
haproxy_conf hp1 "$hp1" "127.0.0.1:$hp2"; hp1_pid=$!; pids+=($hp1_pid)
for _ in $(seq 200); do python3 "$peers" unary "127.0.0.1:$hp1" bench-grpc:50051 1 2>/dev/null | grep -q 'bench:0' && break; sleep 0.1; done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # label target [pid1 pid2] [env]
  local label=$1 target=$2 before=0 after=0
  for pid in ${3:-} ${4:-}; do before=$((before + $(cpu "$pid"))); done
  env ${5:-} python3 "$peers" load "$target" bench-grpc:50051 "$calls" "$concurrency" > "$work/$label.json"
  for pid in ${3:-} ${4:-}; do after=$((after + $(cpu "$pid"))); done
  echo "$label $(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['rps'], r['p50_ms'], r['p99_ms'], r['failures'])" "$work/$label.json") $(( (after - before) * 10000 / calls ))" >> "$work/results"
}
echo "grpcio unary calls: $calls per path, $concurrency in flight on one channel"
measure direct "$server_app:50051"
measure weft "$client_pod:50051" "$client_pid" "$server_pid"
measure haproxy "127.0.0.1:$hp1" "$hp1_pid" "$hp2_pid"
measure weft-proxy bench-grpc:50051 "$client_pid" "$server_pid" "GRPC_VIA_PROXY=1 http_proxy=http://$client_pod:15001"
printf '%-11s %9s %8s %8s %9s %9s %10s %12s\n' path calls/s p50_ms p99_ms failures vs_direct vs_haproxy cpu_us/call
direct=$(awk '$1 == "direct" {print $2}' "$work/results"); haproxy=$(awk '$1 == "haproxy" {print $2}' "$work/results")
while read -r label rps p50 p99 failures cpu; do
  printf '%-11s %9s %8s %8s %9s %9s %10s %12s\n' "$label" "$rps" "$p50" "$p99" "$failures" \
    "$(awk -v a="$rps" -v b="$direct" 'BEGIN {printf "%.2f", a / b}')" "$(awk -v a="$rps" -v b="$haproxy" 'BEGIN {printf "%.2f", a / b}')" "$cpu"
done < "$work/results"
