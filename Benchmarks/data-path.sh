#!/usr/bin/env bash
# The data path beside a direct connection and beside HAProxy, in one run. The same 1 KB HTTP/1.1
# POST (1 KB answer from nginx) over five paths:
#   (a) direct:      load → nginx
#   (b) weft:        load → client's Weft sidecar (outbound 15001) → server's Weft sidecar (inbound) → nginx,
#                    plaintext between the sidecars (a DestinationRule with tls DISABLE)
#   (c) haproxy:     load → HAProxy → HAProxy → nginx
#   (d) weft-mtls:   as (b), with Istio mutual TLS between the sidecars (auto mTLS, the default)
#   (e) haproxy-tls: as (c), with mutual TLS between the two HAProxy instances
#   (f) weft-authz:  as (b), with one AuthorizationPolicy of ten ALLOW rules on the server (the last matches)
#   (g) weft-jwt:    as (b), each request carrying an RS256 JWT (2048-bit key) that the server's
#                    RequestAuthentication verifies (inline jwks); no AuthorizationPolicy
#   (h) weft-telemetry: as (b), with Istio's default JSON access log to a file on both sidecars
#   (i) weft-notrace: as (b), with MeshConfig enableTracing: false (no span, no trace context)
#   (j) weft-off:     as (i), with every Istio metric disabled by the Telemetry API: no telemetry at all
# (b) is Weft's default: Istio's standard metrics recorded and 1 % of requests traced (spans to the
# control plane's collector), as Istio's headline figures are measured with telemetry on.
# (d) and (e) use the same key type (ECDSA P-256) and protocol (TLS 1.3, AES-128-GCM, the first
# suite of both BoringSSL and OpenSSL on AES hardware).
# At a fixed 1000 req/s (hey, as Istio's own harness, and again Benchmarks/fixed-rate.py, which times
# to the microsecond where hey prints 0.1 ms steps) and at saturation (wrk), printing p50/p90/p99,
# throughput, the ratios, and each proxy's peak RSS, CPU seconds and context switches per request. Then handshakes:
# a new TLS connection between the proxies for every request (Weft: maxRequestsPerConnection 1;
# HAProxy: http-reuse never), the time to the first byte at 10 req/s and connections per second.
# Each proxy gets CONCURRENCY threads (default 1): Weft's sidecars that many event loops (a mesh-wide
# ProxyConfig), HAProxy `nbthread` as many.
# The five paths issue 19 compares (direct, weft, haproxy, weft-mtls, haproxy-tls) are measured ROUNDS
# times (default 3), interleaved (A B C D E A B C D E …) so the machine's drift touches each alike; the
# tables give each figure's median over the rounds, and each round's CPU per request is listed too.
#   Benchmarks/data-path.sh [SECONDS per measurement, default 10]
# CONNECTIONS=N: wrk's connections at saturation (default 16). At 16 this machine's cores stay 15-20 %
# idle on every pair (bound by wake-ups, not by CPU); more connections show the CPU-bound throughput.
# LATENCY_ROUNDS=N: after the rounds, N more of the microsecond-timed fixed rate alone over the same
# five paths, interleaved (default 5): a round's placement of the processes moves its p50 by tens of
# µs, more than the difference the added-p50 target compares, so that figure is the median of
# ROUNDS + LATENCY_ROUNDS runs of each path.
# CORE_ONLY=1: only the five paths above (no variants, no handshakes): ~2 minutes a round at 8 s.
# PROFILE=DIR: in the first round, `perf record` samples each proxy of a pair on the software clock
# (no hardware counters needed, which this machine's VM lacks) while wrk loads it: DIR/LABEL-client.data
# and DIR/LABEL-server.data, read with `perf report -i FILE --sort sym`. Where a function's share of
# the time is far above its share of the instructions (instructions.sh), the time goes to stalls.
# Needs: nginx, haproxy, wrk, hey (Debian packages). Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${ROUNDS:-3}"
for tool in nginx haproxy wrk hey curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx haproxy wrk hey curl python3)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

# --- control plane and the two workloads ---------------------------------------------------------
start_control_plane "$work"
pids+=($CP_PID)
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
metadata: {name: bench-handshake}
spec:
  selector: {app: bench-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bench-handshake}
spec:
  host: bench-handshake
  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: 1}}}
YAML

body=$(head -c 1024 /dev/zero | tr '\0' 'x')
printf '%s' "$body" > "$work/body.bin"
mkdir -p "$work/nginx-tmp"
cat > "$work/nginx.conf.in" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body; proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi; uwsgi_temp_path $work/nginx-tmp/uwsgi; scgi_temp_path $work/nginx-tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen APP_ADDRESS:8080;
    location / { default_type application/octet-stream; return 200 "$body"; }
  }
}
NGINX
"$WEFT" run --labels app=bench-server --port 8080 --name bench-server -- \
  sh -c "sed \"s/APP_ADDRESS/\$WEFT_APP_ADDRESS/\" $work/nginx.conf.in > $work/nginx.conf && echo \$WEFT_APP_ADDRESS > $work/server-app && exec nginx -c $work/nginx.conf -g 'daemon off;'" \
  > "$work/server.log" 2>&1 &
server_pid=$!; pids+=($server_pid)
"$WEFT" run --labels app=bench-client --name bench-client -- sh -c "echo \$WEFT_POD_IP > $work/client-pod; exec sleep 1000000" > "$work/client.log" 2>&1 &
client_pid=$!; pids+=($client_pid)
for _ in $(seq 400); do [ -s "$work/client-pod" ] && [ -s "$work/server-app" ] && break; sleep 0.05; done
client_pod=$(cat "$work/client-pod"); server_app=$(cat "$work/server-app")
for host in bench-server bench-mtls bench-handshake; do
  for _ in $(seq 400); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$client_pod:15001" "http://$host:8080/" 2>/dev/null)" = 200 ] && break; sleep 0.05
  done
done

# --- two HAProxy instances in front of the same nginx ---------------------------------------------
hp1=$((20000 + RANDOM % 10000)); hp2=$((hp1 + 1)); hp3=$((hp1 + 2)); hp4=$((hp1 + 3)); hp5=$((hp1 + 4)); hp6=$((hp1 + 5))
# Mutual TLS between HAProxy instances: a CA and two ECDSA P-256 leaves, as the mesh CA issues.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
for leaf in server client; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$leaf" -keyout "$work/$leaf.key" -out "$work/$leaf.csr" 2>/dev/null
  openssl x509 -req -in "$work/$leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 -out "$work/$leaf.crt" 2>/dev/null
  cat "$work/$leaf.crt" "$work/$leaf.key" > "$work/$leaf.pem"
done
tls_in="ssl crt $work/server.pem ca-file $work/ca.pem verify required"
tls_out="ssl crt $work/client.pem ca-file $work/ca.pem verify required verifyhost server sni str(server)"
haproxy_conf haproxy-2 "$hp2" "$server_app:8080"
haproxy_conf haproxy-1 "$hp1" "127.0.0.1:$hp2"
haproxy_conf haproxy-tls-2 "$hp4" "$server_app:8080" "$tls_in"
haproxy_conf haproxy-tls-1 "$hp3" "127.0.0.1:$hp4" "" "$tls_out"
haproxy_conf haproxy-hs-2 "$hp6" "$server_app:8080" "$tls_in"
haproxy_conf haproxy-hs-1 "$hp5" "127.0.0.1:$hp6" "" "$tls_out no-ssl-reuse" never
start_haproxy() { haproxy -db -f "$work/$1.cfg" > "$work/$1.log" 2>&1 & pids+=($!); eval "$2=$!"; }
start_haproxy haproxy-2 hp2_pid; start_haproxy haproxy-1 hp1_pid
start_haproxy haproxy-tls-2 hp4_pid; start_haproxy haproxy-tls-1 hp3_pid
start_haproxy haproxy-hs-2 hp6_pid; start_haproxy haproxy-hs-1 hp5_pid
for port in $hp1 $hp3 $hp5; do
  for _ in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)" = 200 ] && break; sleep 0.05; done
done

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
local host = os.getenv("BENCH_HOST")
if host and host ~= "" then wrk.headers["Host"] = host end
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
LUA

# user,system ticks, then context switches over all its threads: voluntary (it waited), involuntary (preempted)
cpu() {
  printf '%s,%s,%s\n' "$(awk '{print $14 "," $15}' "/proc/$1/stat")" \
    "$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {v += $2} /^nonvoluntary_ctxt/ {i += $2} END {print v "," i}')" \
    "$(cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.0f", ns}')"
}
# The proxies whose CPU each run reads, in this order (see the report below).
proxy_pids() { echo "$client_pid $server_pid $hp1_pid $hp2_pid $hp3_pid $hp4_pid $hp5_pid $hp6_pid"; }
# Then the control plane's: it is the spans' collector (1 % of requests traced), on the same cores.
cpu_all() { for pid in $(proxy_pids) "$CP_PID"; do printf '%s ' "$(cpu "$pid")"; done; }
# The machine's idle and total ticks (all cores): a pair that leaves cores idle at saturation is
# bound by its latency (requests waiting on a wake-up), not by the CPU it spends. Then the ticks the
# hypervisor took from this VM (steal): a run with fewer requests at the same CPU a request and
# little idle lost its time there, not in the proxies.
idle_ticks() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9; exit}' /proc/stat; }
timed_rate() { # label url [proxy]: the fixed rate timed to the microsecond (hey prints 0.1 ms steps)
  python3 Benchmarks/fixed-rate.py "$2" 1000 10 "$seconds" "$work/body.bin" ${3:+"${3#http://}"} > "$work/$1.rate"
}
measure() { # label url [proxy-for-hey host-for-wrk]
  local label=$1 url=$2 proxy=${3:-} host=${4:-}
  # Outside the CPU accounting.
  timed_rate "$label" "$url" "$proxy"
  local before; before=$(cpu_all)
  # Fixed rate: 10 workers × 100 req/s = 1000 req/s.
  hey -z "${seconds}s" -c 10 -q 100 -m POST -D "$work/body.bin" -T application/octet-stream ${proxy:+-x "$proxy"} \
    ${BENCH_TOKEN:+-H "Authorization: Bearer $BENCH_TOKEN"} "$url" > "$work/$label.hey"
  local idle_before; idle_before=$(idle_ticks)
  local between; between=$(cpu_all)
  local profilers=(); [ -n "${PROFILE:-}" ] && [ "${label#*@}" = 1 ] && profile_pair "${label%@*}" profilers
  BENCH_HOST="$host" wrk -t 1 -c "${CONNECTIONS:-16}" -d "${seconds}s" --latency -s "$work/post.lua" "${url/${host:-none}/$client_pod:15001}" > "$work/$label.wrk"
  for profiler in "${profilers[@]}"; do kill -INT "$profiler" 2>/dev/null; wait "$profiler" 2>/dev/null || true; done
  echo "$label $idle_before $(idle_ticks)" >> "$work/idle"
  echo "$label $before/ $between/ $(cpu_all)" >> "$work/cpu"
}
# Starts perf on the pair measured as $1, one sampler a proxy; their pids into the array named $2.
profile_pair() {
  local -n started=$2
  local client server
  case "$1" in
    haproxy) client=$hp1_pid server=$hp2_pid ;;
    haproxy-tls) client=$hp3_pid server=$hp4_pid ;;
    direct) return 0 ;;
    *) client=$client_pid server=$server_pid ;;
  esac
  mkdir -p "$PROFILE"
  perf record -q -e cpu-clock -F 1999 -p "$client" -o "$PROFILE/$1-client.data" > /dev/null 2>&1 & started+=($!)
  perf record -q -e cpu-clock -F 1999 -p "$server" -o "$PROFILE/$1-server.data" > /dev/null 2>&1 & started+=($!)
}
handshakes() { # label url [proxy]: a new connection per request, at 10 req/s, then as fast as 16 clients go
  local label=$1 url=$2 proxy=${3:-}
  hey -z "${seconds}s" -c 1 -q 10 -disable-keepalive ${proxy:+-x "$proxy"} "$url" > "$work/$label.ttfb"
  hey -z "${seconds}s" -c 16 -disable-keepalive ${proxy:+-x "$proxy"} "$url" > "$work/$label.cps"
}
echo "measuring ${seconds} s per run: direct, weft pair, haproxy pair, weft pair mTLS, haproxy pair TLS, $rounds rounds interleaved (hey at 1000 req/s, then wrk -c${CONNECTIONS:-16})$([ -n "${CORE_ONLY:-}" ] && echo ", no variants" || echo ", then the variants and handshakes")"
for round in $(seq "$rounds"); do
  measure "direct@$round" "http://$server_app:8080/"
  measure "weft@$round" "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
  measure "haproxy@$round" "http://127.0.0.1:$hp1/"
  measure "weft-mtls@$round" "http://bench-mtls:8080/" "http://$client_pod:15001" "bench-mtls:8080"
  measure "haproxy-tls@$round" "http://127.0.0.1:$hp3/"
done
for round in $(seq "${LATENCY_ROUNDS:-5}"); do
  timed_rate "direct@latency$round" "http://$server_app:8080/"
  timed_rate "weft@latency$round" "http://bench-server:8080/" "http://$client_pod:15001"
  timed_rate "haproxy@latency$round" "http://127.0.0.1:$hp1/"
  timed_rate "weft-mtls@latency$round" "http://bench-mtls:8080/" "http://$client_pod:15001"
  timed_rate "haproxy-tls@latency$round" "http://127.0.0.1:$hp3/"
done
if [ -z "${CORE_ONLY:-}" ]; then
# Ten rules, nine that miss on method or path, so the engine walks them all for each request.
"$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: bench-ten-rules}
spec:
  selector: {matchLabels: {app: bench-server}}
  rules:
  - to: [{operation: {methods: [DELETE], paths: ["/admin*"]}}]
  - to: [{operation: {methods: [PUT], paths: ["/v1/*"]}}]
  - to: [{operation: {methods: [PATCH]}}]
  - to: [{operation: {paths: ["/metrics"]}}]
  - to: [{operation: {paths: ["*.png"]}}]
  - from: [{source: {ipBlocks: ["10.0.0.0/8"]}}]
  - from: [{source: {principals: ["cluster.local/ns/other/sa/*"]}}]
  - when: [{key: "request.headers[x-debug]", values: ["on"]}]
  - to: [{operation: {hosts: ["example.com"]}}]
  - to: [{operation: {methods: [GET, POST], paths: ["/*"]}}]
YAML
for _ in $(seq 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$client_pod:15001" -X DELETE http://bench-server:8080/ 2>/dev/null)" = 403 ] && break; sleep 0.05
done
measure weft-authz "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
"$WEFT" delete authorizationpolicy bench-ten-rules >/dev/null
# A key made here, its JWKS inline in the RequestAuthentication, and a token signed with it by openssl.
openssl genrsa -out "$work/jwt.key" 2048 2>/dev/null
python3 - "$work" <<'PY'
import base64, json, subprocess, sys, time
work = sys.argv[1]
b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
modulus = subprocess.run(["openssl", "rsa", "-in", f"{work}/jwt.key", "-noout", "-modulus"], capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
jwks = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "bench", "e": "AQAB", "n": b64(bytes.fromhex(modulus))}]}
header = b64(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
payload = b64(json.dumps({"iss": "bench@weft.local", "sub": "load", "aud": "bench-server", "exp": int(time.time()) + 86400, "groups": ["a", "b"]}).encode())
signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{work}/jwt.key"], input=f"{header}.{payload}".encode(), capture_output=True, check=True).stdout
open(f"{work}/jwt.token", "w").write(f"{header}.{payload}.{b64(signature)}")
open(f"{work}/jwt.yaml", "w").write(f"""apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {{name: bench-jwt}}
spec:
  selector: {{matchLabels: {{app: bench-server}}}}
  jwtRules:
  - issuer: bench@weft.local
    audiences: [bench-server]
    jwks: '{json.dumps(jwks)}'
""")
PY
"$WEFT" apply -f "$work/jwt.yaml" >/dev/null
for _ in $(seq 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$client_pod:15001" -H 'Authorization: Bearer x.y.z' http://bench-server:8080/ 2>/dev/null)" = 401 ] && break; sleep 0.05
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$client_pod:15001" -H "Authorization: Bearer $(cat "$work/jwt.token")" http://bench-server:8080/)" = 200 ] \
  || { echo "the benchmark token is not accepted" >&2; exit 1; }
export BENCH_TOKEN; BENCH_TOKEN=$(cat "$work/jwt.token")
measure weft-jwt "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
unset BENCH_TOKEN
"$WEFT" delete requestauthentication bench-jwt >/dev/null
mesh_config() { # the istio ConfigMap's mesh document
  { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n'; sed 's/^/    /'; } | "$WEFT" apply -f - >/dev/null
}
printf 'accessLogFile: %s\naccessLogEncoding: JSON\n' "$work/access.log" | mesh_config
for _ in $(seq 400); do
  curl -s -o /dev/null -x "http://$client_pod:15001" http://bench-server:8080/ 2>/dev/null
  [ -s "$work/access.log" ] && [ "$(wc -l < "$work/access.log")" -ge 2 ] && break; sleep 0.05
done
measure weft-telemetry "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
echo "access log: $(wc -l < "$work/access.log") lines" >&2
printf 'enableTracing: false\n' | mesh_config
for _ in $(seq 400); do
  curl -s "http://$client_pod:15000/config_dump" 2>/dev/null | grep -q zipkin || break; sleep 0.05
done
measure weft-notrace "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
"$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: metrics-off, namespace: istio-system}
spec:
  metrics:
  - overrides: [{match: {metric: ALL_METRICS}, disabled: true}]
YAML
for _ in $(seq 400); do
  curl -s "http://$client_pod:15000/config_dump" 2>/dev/null | grep -q '"disabled" *: *true' && break; sleep 0.05
done
measure weft-off "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
handshakes weft-hs "http://bench-handshake:8080/" "http://$client_pod:15001"
handshakes haproxy-hs "http://127.0.0.1:$hp5/"
fi
rss() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
echo "rss $(for pid in $(proxy_pids); do printf '%s ' "$(rss "$pid")"; done)" >> "$work/cpu"

python3 - "$work" "$(getconf CLK_TCK)" "${CONNECTIONS:-16}" <<'PY'
import os, re, statistics, sys
work, ticks, connections = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
def hey(name):
    text = open(f"{work}/{name}").read()
    pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
    return pct, rps, codes
def rate(label):
    p50, p90, p99, answered, failed = open(f"{work}/{label}.rate").read().split()
    return {50: float(p50), 90: float(p90), 99: float(p99)}, int(answered), int(failed)
def wrk(label):
    text = open(f"{work}/{label}.wrk").read()
    pct = {int(p): ms(v, u) for p, v, u in re.findall(r"(\d+)%\s+([\d.]+)(us|ms|s)\b", text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return pct, rps, int(errors.group(1)) if errors else 0, total
labels = ["direct", "weft", "haproxy", "weft-mtls", "haproxy-tls", "weft-authz", "weft-jwt", "weft-telemetry", "weft-notrace", "weft-off"]
runs = [line.split(" ", 1)[0] for line in open(f"{work}/cpu") if not line.startswith("rss ")]
# CORE_ONLY leaves the variants out.
labels = [l for l in labels if any(r.split("@")[0] == l for r in runs)]
groups = {l: [r for r in runs if r.split("@")[0] == l] for l in labels}
fixed_runs = {r: hey(f"{r}.hey") for r in runs}
sat_runs = {r: wrk(r) for r in runs}
rate_runs = {r: rate(r) for r in runs}
# LATENCY_ROUNDS' runs: the microsecond-timed rate alone.
latency_runs = sorted(f[:-len(".rate")] for f in os.listdir(work) if "@latency" in f and f.endswith(".rate"))
rate_runs.update({r: rate(r) for r in latency_runs})
rate_groups = {l: groups[l] + [r for r in latency_runs if r.split("@")[0] == l] for l in labels}
median = statistics.median
def merged_codes(rs):
    codes = {}
    for r in rs:
        for code, count in fixed_runs[r][2].items(): codes[code] = str(int(codes.get(code, "0")) + int(count))
    return codes
# Each figure is the median over a path's rounds (one round for the variants).
fixed = {l: ({p: median([fixed_runs[r][0][p] for r in groups[l]]) for p in (50, 90, 99)}, median([fixed_runs[r][1] for r in groups[l]]), merged_codes(groups[l]))
         for l in labels}
timed = {l: ({p: median([rate_runs[r][0][p] for r in rate_groups[l]]) for p in (50, 90, 99)}, sum(rate_runs[r][1] for r in rate_groups[l]),
             sum(rate_runs[r][2] for r in rate_groups[l])) for l in labels}
sat = {l: ({p: median([sat_runs[r][0][p] for r in groups[l]]) for p in (50, 90, 99)}, median([sat_runs[r][1] for r in groups[l]]),
           sum(sat_runs[r][2] for r in groups[l]), sum(sat_runs[r][3] for r in groups[l])) for l in labels}
cpu, user, switches, rss = {}, {}, {}, []
# The same split at the change of load: CPU during hey's fixed rate, and during wrk's saturation.
cpu_fixed, cpu_sat, user_sat = {}, {}, {}
names = ["weft client sidecar", "weft server sidecar", "haproxy 1", "haproxy 2", "haproxy-tls 1", "haproxy-tls 2", "haproxy-hs 1", "haproxy-hs 2"]
for line in open(f"{work}/cpu"):
    label, rest = line.split(" ", 1)
    if label == "rss":
        rss = [float(v) for v in rest.split()]
        continue
    before, between, after = rest.split("/")
    ticks_of = lambda field: [int(v) for v in field.split(",")]
    spent_in = lambda start, end: [[b - a for a, b in zip(ticks_of(b1), ticks_of(b2))] for b1, b2 in zip(start.split(), end.split())]
    spent = spent_in(before, after)
    # Each load alone: the threads' run time from schedstat, in ns (hey's run is a few tens of
    # /proc's 10 ms ticks a proxy, a few percent a tick); the user share from the ticks.
    cpu_fixed[label] = [ns / 1e9 for *_, ns in spent_in(before, between)]
    cpu_sat[label] = [ns / 1e9 for *_, ns in spent_in(between, after)]
    user_sat[label] = [u / (u + s) if u + s else 0 for u, s, *_ in spent_in(between, after)]
    cpu[label] = [(u + s) / ticks for u, s, *_ in spent]
    user[label] = [u / ticks for u, s, *_ in spent]
    switches[label] = [(v, i) for _, _, v, i, _ in spent]
print("\nfixed rate, 1000 req/s (hey, 10 connections)          p50 ms   p90 ms   p99 ms   req/s   status codes")
for l in labels:
    pct, rps, codes = fixed[l]
    print(f"  {l:<52}{pct[50]:8.3f} {pct[90]:8.3f} {pct[99]:8.3f} {rps:7.0f}   {codes}")
print(f"\nfixed rate, 1000 req/s, timed to the microsecond (fixed-rate.py, 10 connections; median of {len(rate_groups['direct'])} runs)   p50 ms   p90 ms   p99 ms   answered   non-200")
for l in labels:
    pct, answered, failed = timed[l]
    print(f"  {l:<52}{pct[50]:8.3f} {pct[90]:8.3f} {pct[99]:8.3f} {answered:9d}   {failed}")
idle_runs, steal_runs = {}, {}
for line in open(f"{work}/idle"):
    label, idle0, total0, steal0, idle1, total1, steal1 = line.split()
    ticks = max(1, int(total1) - int(total0))
    idle_runs[label] = (int(idle1) - int(idle0)) / ticks * 100
    steal_runs[label] = (int(steal1) - int(steal0)) / ticks * 100
idle = {l: median([idle_runs[r] for r in groups[l]]) for l in labels}
print(f"\nsaturation (wrk, 1 thread, {connections} connections)           p50 ms   p90 ms   p99 ms   req/s   non-2xx   machine idle   each round: req/s, stolen by the hypervisor")
for l in labels:
    pct, rps, errors, _ = sat[l]
    rounds = ", ".join(f"{sat_runs[r][1]:.0f} ({steal_runs[r]:.1f} %)" for r in groups[l])
    print(f"  {l:<52}{pct[50]:8.3f} {pct[90]:8.3f} {pct[99]:8.3f} {rps:7.0f}   {errors:<7}   {idle[l]:4.1f} %         {rounds}")
d = fixed["direct"][0]
print("\nratios")
for weft, haproxy in [("weft", "haproxy"), ("weft-mtls", "haproxy-tls")]:
    w, h = fixed[weft][0], fixed[haproxy][0]
    print(f"  {weft} vs {haproxy}:")
    print(f"    added p50 / p99 at 1000 req/s:  {weft} {w[50]-d[50]:+.3f} / {w[99]-d[99]:+.3f} ms   {haproxy} {h[50]-d[50]:+.3f} / {h[99]-d[99]:+.3f} ms")
    tw, th, td = timed[weft][0], timed[haproxy][0], timed["direct"][0]
    print(f"    the same timed to the microsecond:  {weft} {tw[50]-td[50]:+.3f} / {tw[99]-td[99]:+.3f} ms   {haproxy} {th[50]-td[50]:+.3f} / {th[99]-td[99]:+.3f} ms")
    # Each run's p50 less the direct path's of the same round: how often the pair added less.
    added = lambda l: [rate_runs[r][0][50] - rate_runs[f"direct@{r.split('@')[1]}"][0][50] for r in rate_groups[l]]
    aw, ah = added(weft), added(haproxy)
    print(f"    added p50 by run (µs clock), {weft}: {' '.join(f'{v:+.3f}' for v in aw)}   {haproxy}: {' '.join(f'{v:+.3f}' for v in ah)}"
          f"   ({weft} below in {sum(w <= h for w, h in zip(aw, ah))} of {len(aw)})")
    print(f"    throughput {weft}/direct: {sat[weft][1]/sat['direct'][1]:.2f}   {weft}/{haproxy}: {sat[weft][1]/sat[haproxy][1]:.2f}")
# CPU per request per proxy, over both parts of a run (hey's requests plus wrk's); the median of the rounds.
def per_request_run(run, index):
    requests = sum(int(v) for v in fixed_runs[run][2].values()) + sat_runs[run][3]
    return cpu[run][index] / requests * 1000
def per_request(label, index):
    return median([per_request_run(r, index) for r in groups[label]])
def user_share(label, index):
    return median([user[r][index] / cpu[r][index] if cpu[r][index] else 0 for r in groups[label]])
# The same during each load alone: hey's requests at 1000 req/s, wrk's at saturation.
def fixed_per_request_run(run, index):
    return cpu_fixed[run][index] / max(1, sum(int(v) for v in fixed_runs[run][2].values())) * 1000
def sat_per_request_run(run, index):
    return cpu_sat[run][index] / max(1, sat_runs[run][3]) * 1000
rounds = len(groups["weft"])
print(f"\nCPU ms per request at saturation (wrk's requests alone), each round (weft / haproxy: both proxies' mean)")
for r in groups["weft"]:
    n = r.split("@")[1]
    pair = lambda label, a, b: (sat_per_request_run(f"{label}@{n}", a) + sat_per_request_run(f"{label}@{n}", b)) / 2
    print(f"  round {n}: weft {pair('weft', 0, 1):.4f}  haproxy {pair('haproxy', 2, 3):.4f}  ({pair('weft', 0, 1) / pair('haproxy', 2, 3):.2f}x)   "
          f"weft-mtls {pair('weft-mtls', 0, 1):.4f}  haproxy-tls {pair('haproxy-tls', 4, 5):.4f}  ({pair('weft-mtls', 0, 1) / pair('haproxy-tls', 4, 5):.2f}x)")
print(f"\nCPU ms per request (median of {rounds} rounds for the first five)     at 1000 req/s: client / server     at saturation: client / server (user share)")
for label, first, second in [("weft", 0, 1), ("haproxy", 2, 3), ("weft-mtls", 0, 1), ("haproxy-tls", 4, 5), ("weft-authz", 0, 1), ("weft-jwt", 0, 1), ("weft-telemetry", 0, 1), ("weft-notrace", 0, 1), ("weft-off", 0, 1)]:
    if label not in labels: continue
    f = [median([fixed_per_request_run(r, i) for r in groups[label]]) for i in (first, second)]
    s = [median([sat_per_request_run(r, i) for r in groups[label]]) for i in (first, second)]
    u = [median([user_sat[r][i] for r in groups[label]]) for i in (first, second)]
    print(f"  {label:<48}{f[0]:10.4f} / {f[1]:.4f}          {s[0]:10.4f} / {s[1]:.4f} ({u[0]:.0%} / {u[1]:.0%})")
print(f"\nCPU ms per request (hey + wrk requests; median of {rounds} rounds for the first five)   client/first proxy   server/second proxy   (user share of it)")
for label, first, second in [("weft", 0, 1), ("haproxy", 2, 3), ("weft-mtls", 0, 1), ("haproxy-tls", 4, 5), ("weft-authz", 0, 1), ("weft-jwt", 0, 1), ("weft-telemetry", 0, 1), ("weft-notrace", 0, 1), ("weft-off", 0, 1)]:
    if label not in labels: continue
    print(f"  {label:<52}{per_request(label, first):10.4f} {per_request(label, second):18.4f}   ({user_share(label, first):.0%} / {user_share(label, second):.0%} user)")
# A proxy preempted while it still had work (involuntary) pays a switch and refills its caches after.
def switches_per_request(label, index, kind):
    return median([switches[r][index][kind] / (sum(int(v) for v in fixed_runs[r][2].values()) + sat_runs[r][3]) for r in groups[label]])
print("\ncontext switches per request (hey + wrk requests)          client/first proxy: waited / preempted   server/second proxy: waited / preempted")
for label, first, second in [("weft", 0, 1), ("haproxy", 2, 3), ("weft-mtls", 0, 1), ("haproxy-tls", 4, 5)]:
    print(f"  {label:<52}{switches_per_request(label, first, 0):8.3f} / {switches_per_request(label, first, 1):.3f}"
          f"{switches_per_request(label, second, 0):18.3f} / {switches_per_request(label, second, 1):.3f}")
print(f"\ncontrol plane CPU ms per request (it collects the sampled spans; on this machine it shares the cores): "
      + ", ".join(f"{label} {per_request(label, 8):.4f}" for label in ["weft", "weft-mtls", "weft-notrace", "haproxy"] if label in labels))
print("\nhandshakes: a new TLS connection between the proxies per request   first byte p50 / p99 ms at 10 req/s   connections/s (16 clients)")
for label in ["weft-hs", "haproxy-hs"]:
    if not os.path.exists(f"{work}/{label}.ttfb"): continue
    pct, _, codes = hey(f"{label}.ttfb")
    _, cps, cps_codes = hey(f"{label}.cps")
    # hey leaves out a percentile it has too few answers for (a slow debug build): shown as nan.
    p50, p99 = pct.get(50, float("nan")), pct.get(99, float("nan"))
    print(f"  {label:<52}{p50:8.3f} / {p99:8.3f}   {cps:10.0f}   {codes} {cps_codes}")
print("\nproxies                     peak RSS MiB")
for name, value in zip(names, rss):
    print(f"  {name:<26}{value:10.1f}")
PY
