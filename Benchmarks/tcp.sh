#!/usr/bin/env bash
# TCP through the mesh beside a direct connection and beside HAProxy in TCP mode, in one run.
# A real redis-server is the upstream; redis-benchmark (SET and GET, 16 clients, no pipelining,
# 3-byte values) is the client, over four paths:
#   (a) direct:      redis-benchmark → redis-server
#   (b) weft:        → the client's Sidecar egress port (pod IP:6379) → redis's sidecar (a tcp-redis port) → redis,
#                    plaintext between the sidecars (a DestinationRule with tls DISABLE)
#   (c) haproxy:     → HAProxy (mode tcp) → HAProxy (mode tcp) → redis
#   (d) weft-mtls:   as (b), with Istio mutual TLS between the sidecars (the default), on port 6380
#   (e) haproxy-tls: as (c), with mutual TLS between the two HAProxy instances
# Prints requests per second, p50 and p99 (ms), each path's ratio to direct and to HAProxy, and the
# proxies' CPU microseconds per request (both proxies of a pair together).
#   Benchmarks/tcp.sh [REQUESTS per test, default 200000]
# Needs: redis-server, redis-benchmark (redis-tools), haproxy, openssl. Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-200000}"
for tool in redis-server redis-benchmark redis-cli haproxy openssl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y redis-server redis-tools haproxy openssl)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release
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
metadata: {name: bench-redis}
spec:
  selector: {app: bench-redis}
  ports: [{name: tcp-redis, port: 6379}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bench-redis}
spec:
  host: bench-redis
  trafficPolicy: {tls: {mode: DISABLE}}
---
apiVersion: v1
kind: Service
metadata: {name: bench-redis-mtls}
spec:
  selector: {app: bench-redis}
  ports: [{name: tcp-redis, port: 6380, targetPort: 6379}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: bench-client}
spec:
  workloadSelector: {labels: {app: bench-client}}
  egress:
  - port: {number: 6379, protocol: TCP, name: tcp-redis}
    captureMode: NONE
    hosts: ["./bench-redis.default.svc.cluster.local"]
  - port: {number: 6380, protocol: TCP, name: tcp-redis-mtls}
    captureMode: NONE
    hosts: ["./bench-redis-mtls.default.svc.cluster.local"]
YAML
"$WEFT" run --labels app=bench-redis --port 6379 --name bench-redis -- \
  sh -c "echo \$WEFT_APP_ADDRESS > $work/server-app; exec redis-server --bind \$WEFT_APP_ADDRESS --port 6379 --save '' --appendonly no --protected-mode no" \
  > "$work/server.log" 2>&1 &
server_pid=$!; pids+=($server_pid)
"$WEFT" run --labels app=bench-client --name bench-client -- sh -c "echo \$WEFT_POD_IP > $work/client-pod; exec sleep 1000000" > "$work/client.log" 2>&1 &
client_pid=$!; pids+=($client_pid)
for _ in $(seq 400); do [ -s "$work/client-pod" ] && [ -s "$work/server-app" ] && break; sleep 0.05; done
client_pod=$(cat "$work/client-pod"); server_app=$(cat "$work/server-app")
for port in 6379 6380; do
  for _ in $(seq 400); do [ "$(redis-cli -h "$client_pod" -p $port PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
  [ "$(redis-cli -h "$client_pod" -p $port PING 2>/dev/null)" = PONG ] || { echo "weft path on $port not ready"; cat "$work/client.log" "$work/server.log" >&2; exit 1; }
done

# --- two HAProxy pairs in TCP mode, plain and mutual TLS ------------------------------------------
hp1=$((20000 + RANDOM % 10000)); hp2=$((hp1 + 1)); hp3=$((hp1 + 2)); hp4=$((hp1 + 3))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
for leaf in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$leaf" -keyout "$work/$leaf.key" -out "$work/$leaf.csr" 2>/dev/null
  openssl x509 -req -in "$work/$leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 -out "$work/$leaf.crt" 2>/dev/null
  cat "$work/$leaf.crt" "$work/$leaf.key" > "$work/$leaf.pem"
done
haproxy_conf() { # name listen-port upstream [bind-options] [server-options]
  cat > "$work/$1.cfg" <<HAPROXY
global
  nbthread $(proxy_concurrency)
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend in
  bind 127.0.0.1:$2 ${4:-}
  default_backend out
backend out
  server up $3 ${5:-}
HAPROXY
  haproxy -f "$work/$1.cfg" > "$work/$1.log" 2>&1 &
}
haproxy_conf hp2 "$hp2" "$server_app:6379"; hp2_pid=$!; pids+=($hp2_pid)
haproxy_conf hp1 "$hp1" "127.0.0.1:$hp2"; hp1_pid=$!; pids+=($hp1_pid)
haproxy_conf hp4 "$hp4" "$server_app:6379" "ssl crt $work/server.pem ca-file $work/ca.pem verify required"; hp4_pid=$!; pids+=($hp4_pid)
haproxy_conf hp3 "$hp3" "127.0.0.1:$hp4" "" "ssl crt $work/client.pem ca-file $work/ca.pem verify required"; hp3_pid=$!; pids+=($hp3_pid)
for port in $hp1 $hp3; do
  for _ in $(seq 200); do [ "$(redis-cli -h 127.0.0.1 -p $port PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # label host port pid1 pid2
  local label=$1 host=$2 port=$3 before=0 after=0
  for pid in ${4:-} ${5:-}; do before=$((before + $(cpu "$pid"))); done
  redis-benchmark -h "$host" -p "$port" -t set,get -n "$requests" -c 16 -P 1 -d 3 --csv > "$work/$label.csv"
  for pid in ${4:-} ${5:-}; do after=$((after + $(cpu "$pid"))); done
  # clock ticks (100 per second) over the SET and GET requests, as microseconds per request
  echo "$label $(( (after - before) * 10000 / (2 * requests) ))" >> "$work/cpu"
}
echo "redis-benchmark: SET and GET, $requests requests each, 16 clients, no pipelining"
measure direct "$server_app" 6379
measure weft "$client_pod" 6379 "$client_pid" "$server_pid"
measure haproxy 127.0.0.1 "$hp1" "$hp1_pid" "$hp2_pid"
measure weft-mtls "$client_pod" 6380 "$client_pid" "$server_pid"
measure haproxy-tls 127.0.0.1 "$hp3" "$hp3_pid" "$hp4_pid"

rps() { awk -F'"' -v t="$2" '$2 == t {print $4}' "$work/$1.csv"; }
column() { awk -F'"' -v t="$2" -v c="$3" '$2 == t {print $(2 * c)}' "$work/$1.csv"; }
printf '%-12s %5s %10s %8s %8s %9s %10s %12s\n' path test req/s p50_ms p99_ms vs_direct vs_haproxy cpu_us/req
for label in direct weft haproxy weft-mtls haproxy-tls; do
  reference=haproxy; [ "$label" = weft-mtls ] || [ "$label" = haproxy-tls ] && reference=haproxy-tls
  for test in SET GET; do
    r=$(rps "$label" "$test"); d=$(rps direct "$test"); h=$(rps "$reference" "$test")
    printf '%-12s %5s %10s %8s %8s %9s %10s %12s\n' "$label" "$test" "$r" "$(column "$label" "$test" 5)" "$(column "$label" "$test" 7)" \
      "$(awk -v a="$r" -v b="$d" 'BEGIN {printf "%.2f", a / b}')" "$(awk -v a="$r" -v b="$h" 'BEGIN {printf "%.2f", a / b}')" \
      "$(awk -v l="$label" '$1 == l {print $2}' "$work/cpu")"
  done
done
