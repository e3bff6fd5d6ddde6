#!/usr/bin/env bash
# The ingress gateway's TLS handshake rate beside HAProxy terminating the same certificate:
#   (a) weft:    hey → weft proxy router (Gateway 443 SIMPLE, credentialName Secret) → nginx
#   (b) haproxy: hey → HAProxy (bind ssl crt, the same certificate and key) → nginx
# Every request opens a new TLS connection (hey -disable-keepalive, 16 clients), so the proxy's
# work per request is mostly a full handshake (ECDSA P-256, TLS 1.3, no resumption). Rounds run
# interleaved (a b a b …) so the machine's drift falls on both; printed per run and as medians:
# handshakes/s, the proxy's CPU per handshake (from /proc), and the ratios.
#
#   Benchmarks/gateway-tls.sh [seconds-per-run] [rounds]     (defaults: 10 s, 3 rounds)
#
# Needs: nginx, haproxy, hey, openssl, curl. Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${2:-3}"
for tool in nginx haproxy hey openssl curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx haproxy hey openssl curl)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- the certificate both proxies serve: ECDSA P-256 from a CA of the run's own --------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench.example.com -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:bench.example.com\n' > "$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 -extfile "$work/leaf.ext" -out "$work/leaf.crt" 2>/dev/null
cat "$work/leaf.crt" "$work/leaf.key" > "$work/leaf.pem"

# --- nginx behind both ---------------------------------------------------------------------------
mkdir -p "$work/nginx-tmp"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx-tmp/body; proxy_temp_path $work/nginx-tmp/proxy;
  fastcgi_temp_path $work/nginx-tmp/fastcgi; uwsgi_temp_path $work/nginx-tmp/uwsgi; scgi_temp_path $work/nginx-tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:18080; location / { default_type text/plain; return 200 "ok"; } }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon on;'

# --- weft: control plane, the backend as a ServiceEntry, the gateway with its Secret --------------
start_control_plane "$work"
pids+=($CP_PID)
gateway_port=$((20000 + RANDOM % 10000)); haproxy_port=$((gateway_port + 1))
"$WEFT" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Secret
metadata: {name: bench-cert, namespace: istio-system}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$work/leaf.crt")
  tls.key: $(base64 -w0 "$work/leaf.key")
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: backend, namespace: istio-system}
spec:
  hosts: [backend.bench]
  ports: [{number: 18080, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 127.0.0.1}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: $gateway_port, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: bench-cert}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bench, namespace: istio-system}
spec:
  hosts: ["*"]
  gateways: [bench]
  http:
  - route: [{destination: {host: backend.bench, port: {number: 18080}}}]
YAML
"$WEFT" proxy router --concurrency "$(proxy_concurrency)" --address 127.0.0.1 --namespace istio-system --labels istio=ingressgateway --log-level error > "$work/router.log" 2>&1 &
router_pid=$!; pids+=($router_pid)

cat > "$work/haproxy.cfg" <<HAPROXY
global
  nbthread $(proxy_concurrency)
  maxconn 4000
  tune.ssl.cachesize 0
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend in
  bind 127.0.0.1:$haproxy_port ssl crt $work/leaf.pem alpn h2,http/1.1
  default_backend out
backend out
  server s1 127.0.0.1:18080
HAPROXY
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
haproxy_pid=$!; pids+=($haproxy_pid)

url() { echo "https://bench.example.com:$1/"; }
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' --resolve "bench.example.com:$1:127.0.0.1" --cacert "$work/ca.pem" "$(url "$1")")" = 200 ]; }
for port in $gateway_port $haproxy_port; do
  for _ in $(seq 400); do ready "$port" && break; sleep 0.05; done
  ready "$port" || { echo "port $port does not answer over TLS"; cat "$work/router.log"; exit 1; }
done

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks=$(getconf CLK_TCK)
# One run: hey at 16 clients, a new connection per request (hey sends no SNI to an address: the
# Gateway server takes any name, "*").
run() { # label port pid
  local before after
  before=$(cpu "$3")
  hey -z "${seconds}s" -c 16 -disable-keepalive -host bench.example.com "https://127.0.0.1:$2/" > "$work/$1.hey"
  after=$(cpu "$3")
  local rate count
  rate=$(awk '/Requests\/sec/ {print $2}' "$work/$1.hey")
  count=$(awk '/\[200\]/ {print $2}' "$work/$1.hey")
  awk -v r="$rate" -v n="${count:-0}" -v c=$((after - before)) -v t="$ticks" -v l="$1" \
    'BEGIN { printf "%-8s %8.0f handshakes/s  %6.3f ms CPU per handshake  (%d answered 200)\n", l, r, (n > 0 ? c * 1000 / t / n : 0), n }'
}
echo "new TLS connection per request, ${seconds} s per run, ${rounds} rounds interleaved (weft router, then HAProxy)"
for round in $(seq "$rounds"); do
  run weft "$gateway_port" "$router_pid" | tee -a "$work/results"
  run haproxy "$haproxy_port" "$haproxy_pid" | tee -a "$work/results"
done
awk '
  { rate[$1] = rate[$1] " " $2; cpu[$1] = cpu[$1] " " $4 }
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END {
    wr = median(rate["weft"]); hr = median(rate["haproxy"]); wc = median(cpu["weft"]); hc = median(cpu["haproxy"])
    printf "\nmedians: weft %.0f handshakes/s, %.3f ms CPU each; haproxy %.0f handshakes/s, %.3f ms CPU each\n", wr, wc, hr, hc
    printf "weft/haproxy: rate %.2f×, CPU per handshake %.2f×\n", (hr > 0 ? wr / hr : 0), (hc > 0 ? wc / hc : 0)
  }' "$work/results"
