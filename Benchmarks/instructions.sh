#!/usr/bin/env bash
# Instructions (and allocations, retains and releases) per request in the client's sidecar, counted by valgrind's callgrind: a measure that
# does not move with the machine's load, so a change of a few percent shows (issue 19 asks for it;
# this machine's VM has no hardware counters for `perf stat`).
#   Benchmarks/instructions.sh [REQUESTS]          the release build (or $WEFT)
#   WEFT_B=/path/to/other/weft Benchmarks/instructions.sh   the same for a second binary, A then B
#   HAPROXY=1 Benchmarks/instructions.sh      then the same count for the client-side HAProxy of
#                                               data-path.sh's pair, plaintext and mutual TLS (the reference)
# The client's sidecar runs under callgrind (a copy without debug info, which valgrind cannot read
# in the release build; the symbols stay, for callgrind_annotate), the control plane and the server's sidecar run as they are, nginx answers
# 1 KB. Per variant (plain; mutual TLS between the sidecars; plain with a new client connection per
# request; plain with a new upstream connection per request): 200 requests to warm up, the counters zeroed, REQUESTS requests (hey, 4 at a time), the
# counters dumped: instructions / REQUESTS.
# SIDE=server counts the server's sidecar instead (inbound: the request from the client's sidecar to nginx).
# ACCESS_LOG=JSON (or TEXT) turns on Istio's access log on both sidecars (MeshConfig accessLogFile,
# accessLogEncoding), to a file in the work directory: its formatting and writing are counted too.
# TRACING=off sets MeshConfig enableTracing: false (no span, no trace context on any request), to
# count what the default tracing (1 % sampled, a context on every request) costs a request.
# After Weft's plain and mutual-tls lines: each function those requests ran every time that
# scripts/weft-link-order.txt does not name (Benchmarks/callgrind-calls.py). The linker lays such a function
# out after the ordered code, megabytes from it; repack the order from this run's dumps (KEEP=DIR, and
# scripts/link-order-hot-first.py) and measure with Benchmarks/ab.sh, where it shows and the count does not.
# KEEP=DIR keeps each dump there (LABEL-VARIANT.callgrind) for `callgrind_annotate`.
# DUMP_INSTR=1 (with KEEP) has callgrind record costs and calls per instruction address, so each
# call site of swift_retain or swift_release in a function can be counted and read in the disassembly.
# CACHE_SIM=1 also simulates the caches (callgrind's model: 32 KiB L1 instruction and data caches)
# and prints L1 instruction and data misses per request: the hot path's code is far larger than the
# instruction cache, and its misses cost about as much as the instructions (runs ~2x slower).
# BRANCH_SIM=1 also simulates branch prediction (callgrind's simple model) and prints mispredicted
# conditional and indirect branches per request: indirect calls (witness tables, closures, vtables)
# are where a Swift proxy and a C one differ most at equal instructions.
# Needs: valgrind (callgrind_control), nginx, hey, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
for tool in valgrind callgrind_control nginx hey curl strip; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y valgrind nginx hey curl binutils)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release

# With CACHE_SIM: L1 instruction and data (read + write) misses per request, from the dump's summary.
cache_misses() {
  [ -n "${CACHE_SIM:-}" ] || return 0
  awk -v n="$2" '/^events:/ {for (i = 2; i <= NF; i++) name[i] = $i}
    /^summary:/ {for (i = 2; i <= NF; i++) v[name[i]] = $i
      printf "   L1 misses per request: instruction %.0f, data %.0f", v["I1mr"] / n, (v["D1mr"] + v["D1mw"]) / n; exit}' "$1"
}

# With BRANCH_SIM: conditional and indirect branches per request, and how many were mispredicted.
branch_misses() {
  [ -n "${BRANCH_SIM:-}" ] || return 0
  awk -v n="$2" '/^events:/ {for (i = 2; i <= NF; i++) name[i] = $i}
    /^summary:/ {for (i = 2; i <= NF; i++) v[name[i]] = $i
      printf "   branches per request: conditional %.0f (%.0f mispredicted), indirect %.0f (%.0f mispredicted)", v["Bc"] / n, v["Bcm"] / n, v["Bi"] / n, v["Bim"] / n; exit}' "$1"
}

# Counts one variant: 200 requests to warm up, the counters zeroed, REQUESTS requests, the counters
# dumped; prints the line. $1 label, $2 variant, $3 the process under callgrind, $4 its work
# directory (its dumps are callgrind.out.*), the rest hey's target arguments.
count_requests() {
  local label=$1 variant=$2 process=$3 dir=$4
  shift 4
  hey -n 200 -c 4 "$@" > /dev/null
  callgrind_control -z "$process" > /dev/null 2>&1
  hey -n "$requests" -c 4 "$@" > "$dir/$variant.hey"
  rm -f "$dir"/callgrind.out.*
  callgrind_control -d "$process" > /dev/null 2>&1
  local dump; dump=$(ls "$dir"/callgrind.out.* 2>/dev/null | head -1)
  local total; total=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp "$dump" "$KEEP/$label-$variant.callgrind"; fi
  local answered; answered=$(awk '/^ *\[200\]\t/ {print $2; exit}' "$dir/$variant.hey")
  # Allocations and reference-count operations a request; for Weft's steady variants, then the functions
  # it ran every request that scripts/weft-link-order.txt leaves out (laid out far from the hot code).
  local order=; [ "$label" != haproxy ] && [[ "$variant" = plain || "$variant" = mutual-tls ]] && order=scripts/weft-link-order.txt
  local facts; facts=$(python3 Benchmarks/callgrind-calls.py "$dump" "$requests" $order)
  local allocations refcounts; read -r allocations refcounts <<< "$(head -1 <<< "$facts")"
  printf '%-8s %-16s %12.0f instructions per request   %6.1f allocations   %4s retains and releases per request   (%s of %s answered 200)%s\n' "$label" \
    "$variant" "$(echo "$total / $requests" | bc -l)" "$allocations" "$refcounts" \
    "${answered:-0}" "$requests" "$(cache_misses "$dump" "$requests")$(branch_misses "$dump" "$requests")"
  tail -n +2 <<< "$facts"
}

measure_binary() { # $1: label, $2: the weft under test
  local label=$1 binary=$2 work
  work=$(mktemp -d)
  local pids=()
  WEFT=$binary
  strip --strip-debug -o "$work/weft-stripped" "$binary"
  start_control_plane "$work"
  pids+=("$CP_PID")
  "$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: bench-server}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bench-server}
spec:
  host: bench-server
  trafficPolicy: {tls: {mode: DISABLE}}
---
apiVersion: v1
kind: Service
metadata: {name: bench-mtls}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: bench-fresh}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bench-fresh}
spec:
  host: bench-fresh
  trafficPolicy: {tls: {mode: DISABLE}, connectionPool: {http: {maxRequestsPerConnection: 1}}}
YAML
  if [ -n "${ACCESS_LOG:-}" ] || [ "${TRACING:-on}" = off ]; then
    { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n'
      [ -n "${ACCESS_LOG:-}" ] && printf '    accessLogFile: %s\n    accessLogEncoding: %s\n' "$work/access.log" "$ACCESS_LOG"
      [ "${TRACING:-on}" = off ] && printf '    enableTracing: false\n'
      true; } | "$WEFT" apply -f - >/dev/null
  fi
  nginx_1kb_conf "$work" APP_ADDRESS:8080 "$work/nginx.conf.in"
  # Deterministic hashing: with a random seed per process, which dictionary keys collide (and so
  # how many Strings are compared) changed from run to run by a few hundred instructions a request.
  local callgrind=(env SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind ${CACHE_SIM:+--cache-sim=yes} ${BRANCH_SIM:+--branch-sim=yes} ${DUMP_INSTR:+--dump-instr=yes} --trace-children=no
                   --callgrind-out-file="$work/callgrind.out" "$work/weft-stripped")
  local server_weft=("$WEFT") client_weft=("${callgrind[@]}")
  if [ "${SIDE:-client}" = server ]; then server_weft=("${callgrind[@]}"); client_weft=("$WEFT"); fi
  "${server_weft[@]}" run --labels app=bench-server --port 8080 --name bench-server -- \
    sh -c "sed \"s/APP_ADDRESS/\$WEFT_APP_ADDRESS/\" $work/nginx.conf.in > $work/nginx.conf && exec nginx -c $work/nginx.conf -g 'daemon off;'" \
    > "$work/server.log" 2>&1 &
  local server=$!
  pids+=("$server")
  "${client_weft[@]}" run --labels app=bench-client --name bench-client -- sh -c "echo \$WEFT_POD_IP > $work/client-pod; exec sleep 1000000" \
    > "$work/client.log" 2>&1 &
  local client=$!
  pids+=("$client")
  local counted=$client
  [ "${SIDE:-client}" = server ] && counted=$server
  # Under callgrind the sidecar starts slowly: wait for its pod IP and its first answer, bounded.
  for _ in $(seq 1200); do [ -s "$work/client-pod" ] && break; sleep 0.1; done
  local pod; pod=$(cat "$work/client-pod")
  for _ in $(seq 600); do
    [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -x "http://$pod:15001" http://bench-server:8080/ 2>/dev/null)" = 200 ] && break; sleep 0.2
  done
  # plain and mutual-tls: the client keeps its 4 connections to the sidecar; new-connections: a new
  # one for each request (as curl in a loop, or a client without keep-alive), plaintext upstream;
  # new-upstream: the client keeps its connections, the sidecar opens a new plaintext one upstream
  # for each request (maxRequestsPerConnection: 1).
  for variant in plain mutual-tls new-connections new-upstream; do
    local host=bench-server keepalive=()
    [ "$variant" = mutual-tls ] && host=bench-mtls
    [ "$variant" = new-upstream ] && host=bench-fresh
    [ "$variant" = new-connections ] && keepalive=(-disable-keepalive)
    count_requests "$label" "$variant" "$counted" "$work" "${keepalive[@]}" -x "http://$pod:15001" "http://$host:8080/"
  done
  [ -n "${ACCESS_LOG:-}" ] && echo "   access log: $(wc -l < "$work/access.log" 2>/dev/null || echo 0) lines"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}

# The reference: the client-side HAProxy of data-path.sh's pair (HAProxy → HAProxy → nginx, nbthread 1,
# http-reuse always), plaintext and with mutual TLS (ECDSA P-256) between the two, counted the same way.
measure_haproxy() {
  local work pids=() port1 port2 port3 port4
  work=$(mktemp -d)
  command -v haproxy >/dev/null && command -v openssl >/dev/null || { echo "HAPROXY=1 needs haproxy and openssl" >&2; return 2; }
  local nginx_port=$((20000 + RANDOM % 10000))
  port1=$((nginx_port + 1)); port2=$((nginx_port + 2)); port3=$((nginx_port + 3)); port4=$((nginx_port + 4))
  nginx_1kb_conf "$work" "127.0.0.1:$nginx_port" "$work/nginx.conf"
  nginx -c "$work/nginx.conf" -g 'daemon off;' > /dev/null 2>&1 &
  pids+=($!)
  mutual_tls_test_certificates "$work"
  config() { # name listen-port upstream [bind-options] [server-options]
    printf 'global\n  nbthread 1\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\n  http-reuse always\nfrontend in\n  bind 127.0.0.1:%s %s\n  default_backend out\nbackend out\n  server s1 %s %s\n' \
      "$2" "${4:-}" "$3" "${5:-}" > "$work/$1.cfg"
  }
  config plain-2 "$port2" "127.0.0.1:$nginx_port"
  config plain-1 "$port1" "127.0.0.1:$port2"
  config tls-2 "$port4" "127.0.0.1:$nginx_port" "ssl crt $work/server.pem ca-file $work/ca.pem verify required"
  config tls-1 "$port3" "127.0.0.1:$port4" "" "ssl crt $work/client.pem ca-file $work/ca.pem verify required verifyhost server sni str(server)"
  haproxy -db -f "$work/plain-2.cfg" > /dev/null 2>&1 & pids+=($!)
  haproxy -db -f "$work/tls-2.cfg" > /dev/null 2>&1 & pids+=($!)
  local variant port
  for variant in plain mutual-tls; do
    port=$port1; [ "$variant" = mutual-tls ] && port=$port3
    local name=plain-1; [ "$variant" = mutual-tls ] && name=tls-1
    valgrind --tool=callgrind ${CACHE_SIM:+--cache-sim=yes} ${BRANCH_SIM:+--branch-sim=yes} --callgrind-out-file="$work/callgrind.out" haproxy -db -f "$work/$name.cfg" > "$work/$name.log" 2>&1 &
    local client=$!
    for _ in $(seq 600); do
      [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)" = 200 ] && break; sleep 0.2
    done
    count_requests haproxy "$variant" "$client" "$work" "http://127.0.0.1:$port/"
    kill "$client" 2>/dev/null || true
    wait "$client" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

echo "${SIDE:-client} sidecar under callgrind, $requests requests per variant (1 KB answers, HTTP/1.1, 4 at a time; new-connections: a client connection per request; new-upstream: an upstream connection per request)"
measure_binary A "$WEFT"
if [ -n "${WEFT_B:-}" ]; then measure_binary B "$WEFT_B"; fi
if [ -n "${HAPROXY:-}" ]; then measure_haproxy; fi
