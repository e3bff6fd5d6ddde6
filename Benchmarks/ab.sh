#!/usr/bin/env bash
# Two builds of Weft side by side under the same load, interleaved: what one change does to the pair's
# CPU a request and throughput, with the machine's drift cancelled as far as it can be. data-path.sh
# compares Weft with HAProxy and its rounds move ±10–15 % on this machine, more than a code layout
# or a small change does; here build A's pair and build B's pair run at once (one control plane, one
# nginx behind each), and each round loads A then B (then B then A, alternating) for SECONDS each:
#   client → A's client sidecar → A's server sidecar → nginx       (and the same for B)
# with wrk (1 thread, 16 connections or CONNECTIONS, 1 KB POST). Prints each round's CPU ms a request (both
# proxies' mean, from /proc) and req/s for A and B, their ratios B/A, and the median ratios.
# Two copies of one build: 1.017 over 6 rounds; 12-round medians of one pair moved ±4 % between runs:
# run it twice, A and B swapped, and believe what both show.
#   WEFT_A=path WEFT_B=path [ROUNDS=12] [MTLS=1] [CONNECTIONS=64] [RATE=1000] Benchmarks/ab.sh [SECONDS, default 5]
# MTLS=1 puts Istio mutual TLS between the sidecars (the default of auto mTLS); plaintext otherwise.
# RATE=N loads each side at a fixed N req/s instead (hey, 10 connections, as data-path.sh's fixed-rate
# rounds), where a proxy's CPU a request is two to three times its saturation figure (cold caches
# and wake-ups at each request) and is read from its threads' schedstat in ns (ticks are too coarse).
# Needs: nginx, wrk, hey (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-5}"
rounds="${ROUNDS:-12}"
: "${WEFT_A:?WEFT_A=path to the first weft}" "${WEFT_B:?WEFT_B=path to the second weft}"
for tool in nginx wrk hey curl python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y nginx wrk hey curl python3)" >&2; exit 2; }
done
. Benchmarks/lib.sh
WEFT=$WEFT_A
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for side in a b; do [ -f "$work/$side/nginx.pid" ] && kill "$(cat "$work/$side/nginx.pid" 2>/dev/null)" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_control_plane "$work"
pids+=($CP_PID)
tls_mode=DISABLE; [ -n "${MTLS:-}" ] && tls_mode=ISTIO_MUTUAL
for side in a b; do
  "$WEFT" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: ab-$side}
spec:
  selector: {app: ab-server-$side}
  ports: [{name: http, port: 8080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ab-$side}
spec:
  host: ab-$side
  trafficPolicy: {tls: {mode: $tls_mode}}
YAML
done
printf 'wrk.method = "POST"\nwrk.body = string.rep("x", 1024)\nwrk.headers["Content-Type"] = "application/octet-stream"\nwrk.headers["Host"] = os.getenv("AB_HOST")\n' > "$work/post.lua"
for side in a b; do
  binary=$WEFT_A; [ "$side" = b ] && binary=$WEFT_B
  mkdir -p "$work/$side"
  nginx_1kb_conf "$work/$side" APP_ADDRESS:8080 "$work/$side/nginx.conf.in"
  "$binary" run --labels app=ab-server-$side --port 8080 --name ab-server-$side -- \
    sh -c "sed \"s/APP_ADDRESS/\$WEFT_APP_ADDRESS/\" $work/$side/nginx.conf.in > $work/$side/nginx.conf && exec nginx -c $work/$side/nginx.conf -g 'daemon off;'" \
    > "$work/$side/server.log" 2>&1 &
  pids+=($!); eval "server_$side=$!"
  "$binary" run --labels app=ab-client-$side --name ab-client-$side -- sh -c "echo \$WEFT_POD_IP > $work/$side/pod; exec sleep 1000000" \
    > "$work/$side/client.log" 2>&1 &
  pids+=($!); eval "client_$side=$!"
done
for side in a b; do
  for _ in $(seq 400); do [ -s "$work/$side/pod" ] && break; sleep 0.05; done
  pod=$(cat "$work/$side/pod"); eval "pod_$side=$pod"
  ok=
  for _ in $(seq 400); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -x "http://$pod:15001" "http://ab-$side:8080/" 2>/dev/null)" = 200 ] && { ok=1; break; }; sleep 0.05
  done
  [ -n "$ok" ] || { echo "build $side's pair does not answer" >&2; cat "$work/$side/"*.log >&2; exit 1; }
done

# A process's CPU time over all its threads, in ns.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.0f", ns}'; }
head -c 1024 /dev/zero | tr '\0' x > "$work/body.bin"
run() { # side round
  local side=$1 round=$2 client server pod requests errors
  eval "client=\$client_$side server=\$server_$side pod=\$pod_$side"
  local before=$(( $(cpu_ns "$client") + $(cpu_ns "$server") ))
  if [ -n "${RATE:-}" ]; then
    hey -z "${seconds}s" -c 10 -q $((RATE / 10)) -m POST -D "$work/body.bin" -T application/octet-stream \
      -x "http://$pod:15001" "http://ab-$side:8080/" > "$work/$side-$round.hey"
    requests=$(awk '/^  \[[0-9]+\]/ {n += $2} END {print n + 0}' "$work/$side-$round.hey")
    errors=$(awk '/^  \[[0-9]+\]/ && $1 != "[200]" {n += $2} END {print n + 0}' "$work/$side-$round.hey")
  else
    AB_HOST="ab-$side:8080" wrk -t 1 -c "${CONNECTIONS:-16}" -d "${seconds}s" -s "$work/post.lua" "http://$pod:15001/" > "$work/$side-$round.wrk"
    requests=$(grep -o '[0-9]* requests in' "$work/$side-$round.wrk" | cut -d' ' -f1)
    errors=$(awk '/Non-2xx/ {print $NF}' "$work/$side-$round.wrk")
  fi
  local after=$(( $(cpu_ns "$client") + $(cpu_ns "$server") ))
  echo "$side $round $((after - before)) $requests $errors" >> "$work/runs"
}
# Warm both (connection pools, caches) before the first counted round.
AB_HOST=ab-a:8080 wrk -t 1 -c 16 -d 1s -s "$work/post.lua" "http://$pod_a:15001/" > /dev/null
AB_HOST=ab-b:8080 wrk -t 1 -c 16 -d 1s -s "$work/post.lua" "http://$pod_b:15001/" > /dev/null
echo "A: $WEFT_A"; echo "B: $WEFT_B"
echo "${rounds} rounds of ${seconds} s each side, $([ -n "${MTLS:-}" ] && echo "mutual TLS" || echo "plaintext") between the sidecars, $([ -n "${RATE:-}" ] && echo "hey at $RATE req/s" || echo "wrk -c${CONNECTIONS:-16}")"
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then run a "$round"; run b "$round"; else run b "$round"; run a "$round"; fi
done

python3 - "$work/runs" "$seconds" <<'PY'
import statistics, sys
path, seconds = sys.argv[1], float(sys.argv[2])
runs = {}
for line in open(path):
    side, round_, spent, requests, *errors = line.split()
    if errors and int(errors[0]):
        print(f"round {round_}: build {side.upper()} answered {errors[0]} requests with non-2xx")
    # Both proxies' mean CPU a request, in ms.
    runs.setdefault(round_, {})[side] = (int(spent) / 1e6 / int(requests) / 2, int(requests) / seconds)
print("\nround   CPU ms/request A    B   (B/A)    req/s A    B   (B/A)")
cpu_ratios, rate_ratios = [], []
for round_, sides in sorted(runs.items(), key=lambda item: int(item[0])):
    (cpu_a, rate_a), (cpu_b, rate_b) = sides["a"], sides["b"]
    cpu_ratios.append(cpu_b / cpu_a); rate_ratios.append(rate_b / rate_a)
    print(f"{round_:>5}   {cpu_a:10.4f} {cpu_b:8.4f}  ({cpu_b / cpu_a:.3f})   {rate_a:8.0f} {rate_b:6.0f}  ({rate_b / rate_a:.3f})")
print(f"median B/A: CPU a request {statistics.median(cpu_ratios):.3f} (rounds {min(cpu_ratios):.3f}–{max(cpu_ratios):.3f}), "
      f"throughput {statistics.median(rate_ratios):.3f} (rounds {min(rate_ratios):.3f}–{max(rate_ratios):.3f})")
PY
