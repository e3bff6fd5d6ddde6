#!/usr/bin/env bash
# Where the scheduler puts a proxy pair and its peers, and what that costs: the Weft mutual-TLS pair
# and the HAProxy TLS pair (each with its own nginx), loaded in turn by wrk (1 thread, CONNECTIONS,
# default 64, 1 KB POST) for SECONDS each over ROUNDS rounds (default 3). For each run: req/s, CPU ms
# a request of each proxy (from /proc), the machine's idle share (/proc/stat), and, with perf
# (linux-perf), the share of the proxies' wake-ups of their peers (wrk, nginx) that the kernel placed
# on the waker's own core. On this 2-core VM (2026-12-07) the four processes of a pair settle in one of
# two ways. Either one pair a core, each process talking to the other core (client proxy + nginx,
# server proxy + wrk; 10-18 % of the wake-ups on the waker's core, ~2 % idle): HAProxy's pair mostly
# did. Or the peers are pulled onto the waking proxy's core (93-99 %), take it from the proxy at its
# write (3x the preemptions) while the other core idles (10-13 %): Weft's pair always did, HAProxy's
# in some runs, and then the two pairs answered the same req/s at about equal CPU a request. PIN=1
# adds a run of the Weft pair pinned the first way (client sidecar + nginx on core 0, server sidecar
# + wrk on core 1): 4-5 % idle, +10-12 % req/s.
#   [ROUNDS=3] [CONNECTIONS=64] [PIN=1] Benchmarks/placement.sh [SECONDS, default 6]
# Needs: nginx, haproxy, wrk, openssl (Debian); perf (linux-perf) for the wake-up placement.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-6}"
rounds="${ROUNDS:-3}"
connections="${CONNECTIONS:-64}"
for tool in nginx haproxy wrk curl openssl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx haproxy wrk curl openssl)" >&2; exit 2; }
done
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/hp/nginx.pid" ] && kill "$(cat "$work/hp/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- the Weft pair: mutual TLS between the sidecars (Istio's default), nginx behind the server's ---
start_control_plane "$work"
pids+=($CP_PID)
"$WEFT" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: placed}
spec:
  selector: {app: placed-server}
  ports: [{name: http, port: 8080}]
YAML
mkdir -p "$work/weft"
nginx_1kb_conf "$work/weft" APP_ADDRESS:8080 "$work/weft/nginx.conf.in"
"$WEFT" run --labels app=placed-server --port 8080 --name placed-server -- \
  sh -c "sed \"s/APP_ADDRESS/\$WEFT_APP_ADDRESS/\" $work/weft/nginx.conf.in > $work/weft/nginx.conf && exec nginx -c $work/weft/nginx.conf -g 'daemon off;'" \
  > "$work/weft/server.log" 2>&1 &
weft_server=$!; pids+=($weft_server)
"$WEFT" run --labels app=placed-client --name placed-client -- sh -c "echo \$WEFT_POD_IP > $work/weft/pod; exec sleep 1000000" > "$work/weft/client.log" 2>&1 &
weft_client=$!; pids+=($weft_client)
for _ in $(seq 400); do [ -s "$work/weft/pod" ] && break; sleep 0.05; done
pod=$(cat "$work/weft/pod")
for _ in $(seq 400); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$pod:15001" http://placed:8080/ 2>/dev/null)" = 200 ] && break; sleep 0.05
done

# --- the HAProxy pair: mutual TLS between the two instances, its own nginx ---
mkdir -p "$work/hp"
mutual_tls_test_certificates "$work/hp"
app=$((30000 + RANDOM % 5000)); front=$((app + 1)); back=$((app + 2))
nginx_1kb_conf "$work/hp" "127.0.0.1:$app" "$work/hp/nginx.conf"
nginx -c "$work/hp/nginx.conf" > /dev/null 2>&1
haproxy_conf hp-server "$back" "127.0.0.1:$app" "ssl crt $work/hp/server.pem ca-file $work/hp/ca.pem verify required"
haproxy_conf hp-client "$front" "127.0.0.1:$back" "" "ssl crt $work/hp/client.pem ca-file $work/hp/ca.pem verify required verifyhost server sni str(server)"
haproxy -db -f "$work/hp-server.cfg" > "$work/hp/server.log" 2>&1 & hp_server=$!; pids+=($hp_server)
haproxy -db -f "$work/hp-client.cfg" > "$work/hp/client.log" 2>&1 & hp_client=$!; pids+=($hp_client)
for _ in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$front/" 2>/dev/null)" = 200 ] && break; sleep 0.05; done

printf 'wrk.method = "POST"\nwrk.body = string.rep("x", 1024)\nwrk.headers["Content-Type"] = "application/octet-stream"\nlocal host = os.getenv("PLACED_HOST")\nif host and host ~= "" then wrk.headers["Host"] = host end\n' > "$work/post.lua"
weft_nginx=$(pgrep -P "$weft_server" -x nginx | head -1)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
idle() { awk '/^cpu / {print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit}' /proc/stat; }
# Sets every thread of process $1 to cores $2.
pin() { local task; for task in /proc/"$1"/task/*; do taskset -p -c "$2" "$(basename "$task")" > /dev/null; done; }
# The share of the wake-ups of wrk and nginx made by process $2's or $3's threads that were placed on the waker's core, from perf data $1.
placed_on_waker() {
  perf script -i "$1" -F tid,cpu,trace 2>/dev/null | python3 -c '
import re, sys
proxies = {int(p) for p in sys.argv[1:]}
tids = set()
for pid in proxies:
    try:
        import os
        tids |= {int(t) for t in os.listdir(f"/proc/{pid}/task")}
    except OSError:
        pass
total = same = 0
for line in sys.stdin:
    m = re.match(r"\s*(\d+)\s+\[(\d+)\]\s+comm=(\S+) pid=\d+ prio=\d+ target_cpu=(\d+)", line)
    if m and int(m.group(1)) in tids | proxies and m.group(3) in ("wrk", "nginx"):
        total += 1
        same += int(m.group(2)) == int(m.group(4))
print(f"{100 * same / total:.0f} % of {total}" if total else "-")' "$2" "$3"
}
run() { # label client server url host [taskset prefix for wrk]
  local label=$1 client=$2 server=$3 url=$4 host=$5 prefix=${6:-}
  local c0 s0 i0 profiler=
  c0=$(ticks "$client"); s0=$(ticks "$server"); i0=$(idle)
  if command -v perf > /dev/null; then
    perf record -q -e sched:sched_wakeup -a -o "$work/$label.perf" -- sleep "$((seconds / 2))" > /dev/null 2>&1 & profiler=$!
  fi
  PLACED_HOST="$host" $prefix wrk -t 1 -c "$connections" -d "${seconds}s" -s "$work/post.lua" "$url" > "$work/$label.wrk"
  [ -n "$profiler" ] && wait "$profiler" 2>/dev/null || true
  local requests placement=-
  requests=$(grep -o '[0-9]* requests in' "$work/$label.wrk" | cut -d' ' -f1)
  [ -n "$profiler" ] && placement=$(placed_on_waker "$work/$label.perf" "$client" "$server")
  echo "$label $requests $(( $(ticks "$client") - c0 )) $(( $(ticks "$server") - s0 )) $i0 $(idle) $placement" >> "$work/runs"
}
echo "wrk -c$connections, ${seconds} s a run, $rounds rounds; mutual TLS between the proxies of each pair"
for round in $(seq "$rounds"); do
  run "haproxy-tls@$round" "$hp_client" "$hp_server" "http://127.0.0.1:$front/" ""
  run "weft-mtls@$round" "$weft_client" "$weft_server" "http://$pod:15001/" "placed:8080"
  if [ -n "${PIN:-}" ]; then
    pin "$weft_client" 0; pin "$weft_server" 1; pin "$weft_nginx" 0
    run "weft-mtls-pinned@$round" "$weft_client" "$weft_server" "http://$pod:15001/" "placed:8080" "taskset -c 1"
    pin "$weft_client" 0-1; pin "$weft_server" 0-1; pin "$weft_nginx" 0-1
  fi
done
python3 - "$work/runs" "$(getconf CLK_TCK)" "$seconds" <<'PY'
import sys
path, ticks, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
print(f"\n{'run':<22} {'req/s':>8} {'CPU ms/req client':>18} {'server':>8} {'machine idle':>13}   peers' wake-ups on the waker's core")
for line in open(path):
    label, requests, client, server, idle0, total0, idle1, total1, *placement = line.split()
    n = int(requests)
    idle = 100 * (float(idle1) - float(idle0)) / max(1.0, float(total1) - float(total0))
    print(f"{label:<22} {n / seconds:8.0f} {int(client) / ticks / n * 1000:18.4f} {int(server) / ticks / n * 1000:8.4f} {idle:12.1f} %   {' '.join(placement)}")
PY
