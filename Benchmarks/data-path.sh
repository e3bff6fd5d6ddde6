#!/usr/bin/env bash
# The data path beside a direct connection and beside HAProxy, in one run. The same 1 KB HTTP/1.1
# POST (1 KB answer from nginx) over three paths:
#   (a) direct:  load → nginx
#   (b) weft:    load → client's Weft sidecar (outbound 15001) → server's Weft sidecar (inbound) → nginx
#   (c) haproxy: load → HAProxy → HAProxy → nginx
# at a fixed 1000 req/s (hey, as Istio's own harness) and at saturation (wrk), printing p50/p90/p99,
# throughput, the ratios b/a and b/c, and each proxy's peak RSS and CPU seconds.
# Each proxy gets one thread (Weft's sidecar runs one event loop; HAProxy `nbthread 1`).
#   Benchmarks/data-path.sh [SECONDS per measurement, default 10]
# Needs: nginx, haproxy, wrk, hey (Debian packages). Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
for tool in nginx haproxy wrk hey curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx haproxy wrk hey curl python3)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
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
for _ in $(seq 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$client_pod:15001" http://bench-server:8080/ 2>/dev/null)" = 200 ] && break; sleep 0.05
done

# --- two HAProxy instances in front of the same nginx ---------------------------------------------
hp1=$((20000 + RANDOM % 10000)); hp2=$((hp1 + 1))
haproxy_conf() { # name listen-port upstream
  cat > "$work/$1.cfg" <<HAPROXY
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend in
  bind 127.0.0.1:$2
  default_backend out
backend out
  server s1 $3
HAPROXY
}
haproxy_conf haproxy-2 "$hp2" "$server_app:8080"
haproxy_conf haproxy-1 "$hp1" "127.0.0.1:$hp2"
haproxy -db -f "$work/haproxy-2.cfg" > "$work/haproxy-2.log" 2>&1 & hp2_pid=$!; pids+=($hp2_pid)
haproxy -db -f "$work/haproxy-1.cfg" > "$work/haproxy-1.log" 2>&1 & hp1_pid=$!; pids+=($hp1_pid)
for _ in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hp1/" 2>/dev/null)" = 200 ] && break; sleep 0.05; done

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
local host = os.getenv("BENCH_HOST")
if host and host ~= "" then wrk.headers["Host"] = host end
LUA

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() { # label url [proxy-for-hey host-for-wrk]
  local label=$1 url=$2 proxy=${3:-} host=${4:-}
  local before_s before_c before_1 before_2
  before_s=$(cpu "$server_pid"); before_c=$(cpu "$client_pid"); before_1=$(cpu "$hp1_pid"); before_2=$(cpu "$hp2_pid")
  # Fixed rate: 10 workers × 100 req/s = 1000 req/s.
  hey -z "${seconds}s" -c 10 -q 100 -m POST -D "$work/body.bin" -T application/octet-stream ${proxy:+-x "$proxy"} "$url" > "$work/$label.hey"
  BENCH_HOST="$host" wrk -t 1 -c 16 -d "${seconds}s" --latency -s "$work/post.lua" "${url/bench-server:8080/$client_pod:15001}" > "$work/$label.wrk"
  echo "$label $(( $(cpu "$client_pid") - before_c )) $(( $(cpu "$server_pid") - before_s )) $(( $(cpu "$hp1_pid") - before_1 )) $(( $(cpu "$hp2_pid") - before_2 ))" >> "$work/cpu"
}
echo "measuring ${seconds} s per run: direct, weft pair, haproxy pair (fixed 1000 req/s with hey, then saturation with wrk -c16)"
measure direct "http://$server_app:8080/"
measure weft "http://bench-server:8080/" "http://$client_pod:15001" "bench-server:8080"
measure haproxy "http://127.0.0.1:$hp1/"
rss() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
echo "rss $(rss "$client_pid") $(rss "$server_pid") $(rss "$hp1_pid") $(rss "$hp2_pid")" >> "$work/cpu"

python3 - "$work" "$(getconf CLK_TCK)" <<'PY'
import re, sys
work, ticks = sys.argv[1], int(sys.argv[2])
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
def hey(label):
    text = open(f"{work}/{label}.hey").read()
    pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
    return pct, rps, codes
def wrk(label):
    text = open(f"{work}/{label}.wrk").read()
    pct = {int(p): ms(v, u) for p, v, u in re.findall(r"(\d+)%\s+([\d.]+)(us|ms|s)\b", text)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return pct, rps, int(errors.group(1)) if errors else 0
labels = ["direct", "weft", "haproxy"]
fixed = {l: hey(l) for l in labels}
sat = {l: wrk(l) for l in labels}
cpu = {}
for line in open(f"{work}/cpu"):
    parts = line.split()
    cpu[parts[0]] = parts[1:]
print("\nfixed rate, 1000 req/s (hey, 10 connections)          p50 ms   p90 ms   p99 ms   req/s   status codes")
for l in labels:
    pct, rps, codes = fixed[l]
    print(f"  {l:<52}{pct[50]:8.3f} {pct[90]:8.3f} {pct[99]:8.3f} {rps:7.0f}   {codes}")
print("\nsaturation (wrk, 1 thread, 16 connections)           p50 ms   p90 ms   p99 ms   req/s   non-2xx")
for l in labels:
    pct, rps, errors = sat[l]
    print(f"  {l:<52}{pct[50]:8.3f} {pct[90]:8.3f} {pct[99]:8.3f} {rps:7.0f}   {errors}")
d, w, h = fixed["direct"][0], fixed["weft"][0], fixed["haproxy"][0]
print("\nratios")
print(f"  added p50 at 1000 req/s:   weft {w[50]-d[50]:+.3f} ms   haproxy {h[50]-d[50]:+.3f} ms   (target: weft under 0.3 ms)")
print(f"  added p90 at 1000 req/s:   weft {w[90]-d[90]:+.3f} ms   haproxy {h[90]-d[90]:+.3f} ms")
print(f"  added p99 at 1000 req/s:   weft {w[99]-d[99]:+.3f} ms   haproxy {h[99]-d[99]:+.3f} ms")
print(f"  throughput b/a (weft/direct):  {sat['weft'][1]/sat['direct'][1]:.2f}")
print(f"  throughput b/c (weft/haproxy): {sat['weft'][1]/sat['haproxy'][1]:.2f}   (target: at least 1.00)")
print(f"  p99 at saturation b/c:         {sat['weft'][0][99]/sat['haproxy'][0][99]:.2f}")
rss = cpu["rss"]
print("\nproxies                     peak RSS MiB   CPU s (weft run)   CPU s (haproxy run)")
print(f"  weft client sidecar       {float(rss[0]):10.1f}   {int(cpu['weft'][0])/ticks:14.2f}")
print(f"  weft server sidecar       {float(rss[1]):10.1f}   {int(cpu['weft'][1])/ticks:14.2f}")
print(f"  haproxy 1                 {float(rss[2]):10.1f}   {'':14}   {int(cpu['haproxy'][2])/ticks:14.2f}")
print(f"  haproxy 2                 {float(rss[3]):10.1f}   {'':14}   {int(cpu['haproxy'][3])/ticks:14.2f}")
PY
