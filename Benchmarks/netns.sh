#!/usr/bin/env bash
# Transparent mode's cost: the same 1 KB HTTP/1.1 POST (1 KB answer from nginx) over
#   direct:      load → nginx (host loopback)
#   host:        load → client sidecar (HTTP proxy on podIP:15001) → server sidecar (podIP:8080) → nginx   (host mode)
#   netns:       load in the client pod → iptables → client sidecar (15001, original destination) →
#                server pod's iptables → server sidecar (15006) → nginx   (weft run --netns, by service name)
#   haproxy:     load → HAProxy → HAProxy → nginx
# each plaintext between the proxies (a DestinationRule with tls DISABLE) and, for the two Weft modes,
# also with Istio mutual TLS (host-mtls, netns-mtls). At a fixed 1000 req/s (hey) and at saturation
# (wrk -c16), ROUNDS rounds interleaved (default 2) so the machine's drift touches every path alike;
# prints p50/p99, throughput and each proxy's CPU ms per request, per round.
#   sudo Benchmarks/netns.sh [SECONDS per measurement, default 10]
# Needs root, nginx, haproxy, wrk, hey, iptables. Uses the release build unless WEFT=path is given.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
rounds="${ROUNDS:-2}"
for tool in nginx haproxy wrk hey curl python3 iptables-restore; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx haproxy wrk hey curl python3 iptables)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "transparent mode needs root" >&2; exit 2; }
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for file in "$work"/nginx-*.pid; do [ -f "$file" ] && kill "$(cat "$file" 2>/dev/null)" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$WEFT" cleanup >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

start_control_plane "$work"
pids+=($CP_PID)
"$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: host-server}
spec:
  selector: {app: host-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: netns-server}
spec:
  selector: {app: netns-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: host-server}
spec: {host: host-server, trafficPolicy: {tls: {mode: DISABLE}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: netns-server}
spec: {host: netns-server, trafficPolicy: {tls: {mode: DISABLE}}}
---
apiVersion: v1
kind: Service
metadata: {name: host-mtls}
spec:
  selector: {app: host-server}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: netns-mtls}
spec:
  selector: {app: netns-server}
  ports: [{name: http, port: 8080}]
YAML

body=$(head -c 1024 /dev/zero | tr '\0' 'x')
printf '%s' "$body" > "$work/body.bin"
nginx_conf() { # name listen-address
  mkdir -p "$work/tmp-$1"
  cat > "$work/nginx-$1.conf" <<NGINX
worker_processes 1;
pid $work/nginx-$1.pid;
error_log $work/nginx-$1-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/tmp-$1/body; proxy_temp_path $work/tmp-$1/proxy;
  fastcgi_temp_path $work/tmp-$1/fastcgi; uwsgi_temp_path $work/tmp-$1/uwsgi; scgi_temp_path $work/tmp-$1/scgi;
  keepalive_requests 1000000;
  server { listen $2:8080; location / { default_type application/octet-stream; return 200 "$body"; } }
}
NGINX
}
nginx_conf direct 127.0.0.1
nginx -c "$work/nginx-direct.conf" -g 'daemon off;' & pids+=($!)
nginx_conf host APP_ADDRESS
nginx_conf netns 0.0.0.0
"$WEFT" run --labels app=host-server --port 8080 --name host-server -- \
  sh -c "sed -i \"s/APP_ADDRESS/\$WEFT_APP_ADDRESS/\" $work/nginx-host.conf && echo \$WEFT_APP_ADDRESS > $work/host-app && exec nginx -c $work/nginx-host.conf -g 'daemon off;'" \
  > "$work/host-server.log" 2>&1 &
host_server=$!; pids+=($host_server)
"$WEFT" run --labels app=host-client --name host-client -- sh -c "echo \$WEFT_POD_IP > $work/host-client-pod; exec sleep 1000000" > "$work/host-client.log" 2>&1 &
host_client=$!; pids+=($host_client)
"$WEFT" run --netns --labels app=netns-server --port 8080 --name netns-server -- nginx -c "$work/nginx-netns.conf" -g 'daemon off;' > "$work/netns-server.log" 2>&1 &
pids+=($!)
"$WEFT" run --netns --labels app=netns-client --name netns-client -- sleep 1000000 > "$work/netns-client.log" 2>&1 &
pids+=($!)
namespace_of() { for _ in $(seq 600); do grep -o 'network namespace weft-[0-9-]*' "$work/$1.log" 2>/dev/null | awk '{print $3}' && return; sleep 0.05; done; }
netns_server=$(namespace_of netns-server); netns_client=$(namespace_of netns-client)
for _ in $(seq 400); do [ -s "$work/host-client-pod" ] && [ -s "$work/host-app" ] && break; sleep 0.05; done
host_client_pod=$(cat "$work/host-client-pod")
# A pod's sidecar: the process in its namespace that is `weft proxy sidecar`; a host-mode one is the `weft run` itself.
sidecar_of() { for pid in $(ip netns pids "$1"); do tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'proxy sidecar' && echo "$pid" && return; done; }
for _ in $(seq 600); do [ -n "$(sidecar_of "$netns_client")" ] && [ -n "$(sidecar_of "$netns_server")" ] && break; sleep 0.05; done
netns_client_sidecar=$(sidecar_of "$netns_client"); netns_server_sidecar=$(sidecar_of "$netns_server")
for host in host-server host-mtls; do
  for _ in $(seq 400); do [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$host_client_pod:15001" "http://$host:8080/" 2>/dev/null)" = 200 ] && break; sleep 0.05; done
done
for host in netns-server netns-mtls; do
  for _ in $(seq 400); do [ "$(ip netns exec "$netns_client" curl -s -o /dev/null -w '%{http_code}' "http://$host:8080/" 2>/dev/null)" = 200 ] && break; sleep 0.05; done
done

hp1=$((20000 + RANDOM % 10000)); hp2=$((hp1 + 1))
haproxy_conf haproxy-2 "$hp2" "127.0.0.1:8080"
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
proxy_pids() { echo "$host_client $host_server $netns_client_sidecar $netns_server_sidecar $hp1_pid $hp2_pid"; }
cpu_all() { for pid in $(proxy_pids); do printf '%s ' "$(cpu "$pid")"; done; }
measure() { # round label url [proxy-for-hey host-for-wrk netns]
  local round=$1 label=$2 url=$3 proxy=${4:-} host=${5:-} ns=${6:-}
  local run=(); [ -n "$ns" ] && run=(ip netns exec "$ns")
  local before; before=$(cpu_all)
  "${run[@]}" hey -z "${seconds}s" -c 10 -q 100 -m POST -D "$work/body.bin" -T application/octet-stream ${proxy:+-x "$proxy"} "$url" > "$work/$round-$label.hey"
  local target=$url; [ -n "$proxy" ] && target="${url/${host}/$host_client_pod:15001}"
  BENCH_HOST="$host" "${run[@]}" wrk -t 1 -c 16 -d "${seconds}s" --latency -s "$work/post.lua" "$target" > "$work/$round-$label.wrk"
  echo "$round-$label $before/ $(cpu_all)" >> "$work/cpu"
}
echo "measuring ${seconds} s per run, $rounds rounds interleaved: direct, host, netns, haproxy, host-mtls, netns-mtls"
for round in $(seq "$rounds"); do
  measure "$round" direct "http://127.0.0.1:8080/"
  measure "$round" host "http://host-server:8080/" "http://$host_client_pod:15001" "host-server:8080"
  measure "$round" netns "http://netns-server:8080/" "" "" "$netns_client"
  measure "$round" haproxy "http://127.0.0.1:$hp1/"
  measure "$round" host-mtls "http://host-mtls:8080/" "http://$host_client_pod:15001" "host-mtls:8080"
  measure "$round" netns-mtls "http://netns-mtls:8080/" "" "" "$netns_client"
done

python3 - "$work" "$(getconf CLK_TCK)" "$rounds" <<'PY'
import re, sys
work, ticks, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def hey(name):
    text = open(f"{work}/{name}").read()
    pct = {int(p): float(s) * 1000 for p, s in re.findall(r"(\d+)% in ([\d.]+) secs", text)}
    codes = dict(re.findall(r"\[(\d+)\]\s+(\d+) responses", text))
    return pct, codes
def wrk(name):
    text = open(f"{work}/{name}").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, total, int(errors.group(1)) if errors else 0
cpu = {}
for line in open(f"{work}/cpu"):
    label, rest = line.split(" ", 1)
    before, after = rest.split("/")
    cpu[label] = [(int(b) - int(a)) / ticks for a, b in zip(before.split(), after.split())]
proxies = {"host": (0, 1), "host-mtls": (0, 1), "netns": (2, 3), "netns-mtls": (2, 3), "haproxy": (4, 5)}
labels = ["direct", "host", "netns", "haproxy", "host-mtls", "netns-mtls"]
print("round  path          p50 ms  p99 ms @1000/s  codes              req/s sat.  non-2xx   CPU ms/request client / server proxy")
for r in range(1, rounds + 1):
    for l in labels:
        pct, codes = hey(f"{r}-{l}.hey")
        rps, total, errors = wrk(f"{r}-{l}.wrk")
        requests = sum(int(v) for v in codes.values()) + total
        cost = ""
        if l in proxies:
            a, b = proxies[l]
            c = cpu[f"{r}-{l}"]
            cost = f"{c[a] / requests * 1000:.4f} / {c[b] / requests * 1000:.4f}"
        print(f"{r:>5}  {l:<12}{pct[50]:8.3f}{pct[99]:8.3f}         {str(codes):<18}{rps:8.0f}  {errors:7d}   {cost}")
print("\nnetns vs host (same round): CPU per request per sidecar, saturation throughput")
for r in range(1, rounds + 1):
    for mode in ["", "-mtls"]:
        h, n = cpu[f"{r}-host{mode}"], cpu[f"{r}-netns{mode}"]
        hr = sum(int(v) for v in hey(f"{r}-host{mode}.hey")[1].values()) + wrk(f"{r}-host{mode}.wrk")[1]
        nr = sum(int(v) for v in hey(f"{r}-netns{mode}.hey")[1].values()) + wrk(f"{r}-netns{mode}.wrk")[1]
        hc, nc = (h[0] + h[1]) / 2 / hr * 1000, (n[2] + n[3]) / 2 / nr * 1000
        print(f"  round {r} {('plain' if not mode else 'mtls'):<6} host {hc:.4f} ms  netns {nc:.4f} ms  ({(nc / hc - 1) * 100:+.1f} %)   "
              f"throughput netns/host {wrk(f'{r}-netns{mode}.wrk')[0] / wrk(f'{r}-host{mode}.wrk')[0]:.2f}   netns/haproxy {wrk(f'{r}-netns{mode}.wrk')[0] / wrk(f'{r}-haproxy.wrk')[0]:.2f}")
PY
