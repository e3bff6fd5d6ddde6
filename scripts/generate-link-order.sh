#!/usr/bin/env bash
# Regenerates scripts/weft-link-order.txt: the functions a sidecar runs, in the order the linker
# should lay them out, so the code an idle sidecar touches sits in a few contiguous pages instead of
# one or two per 64 KiB window across the whole 30 MB of text (the kernel maps 64 KiB around every
# page fault on a file mapping, and RSS counts all of it).
#
# It runs a release build's sidecar under valgrind's callgrind beside a control plane that serves the
# Bookinfo example: first start-up and idle (dumped), then requests through the sidecar's outbound
# and inbound listeners (dumped again). The idle set comes first.
# Then, ROUNDS times (default 5), it relinks and adds what page faults of real idle sidecars (alone and under
# `weft run`) show was missed.
#   [ROUNDS=N] scripts/generate-link-order.sh [--shared]   (profiles the static release build unless --shared)
# Needs valgrind, perf and python3. Rerun after a change that moves much code; a stale list costs memory
# and CPU (functions missing from it are laid out after it, megabytes from the hot code: a few request
# functions cost ~10 % CPU a request in stop 46), never correctness.
# Then pack the request path (it sends no mutual TLS, so the TLS record path is not in its list, and
# the functions an idle sidecar also runs sit in the idle part, spread over megabytes): dump requests with
# `KEEP=DIR Benchmarks/instructions.sh` and `SIDE=server`, then
#   scripts/link-order-hot-first.py BINARY 2000 DIR/A-plain.callgrind DIR/A-mutual-tls.callgrind ... > new order
# (stop 47: −10 % CPU a request, plaintext and mutual TLS, in Benchmarks/ab.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
static=1
[ "${1:-}" = "--shared" ] && static=
weft=$(scripts/build-release.sh ${static:+--static})
# The build's linker map says which input section defines each function.
map="$(dirname "$(dirname "$weft")")/weft.map"
[ -f "$map" ] || { echo "no linker map at $map (scripts/build-release.sh writes one)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 that swiftc writes; the symbol table is enough.
objcopy --strip-debug "$weft" "$work/weft"

"$work/weft" control-plane --in-memory --http-address 127.0.0.1:0 --discovery-address 127.0.0.1:0 --log-level error > "$work/cp.log" 2>&1 &
for _ in $(seq 200); do grep -q 'discovery on' "$work/cp.log" && break; sleep 0.05; done
export WEFT_CONTROL_PLANE=$(grep -o 'http://[0-9.:]*' "$work/cp.log")
disc=$(grep -o 'discovery on [0-9.:]*' "$work/cp.log" | awk '{print $3}')
app_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pod=127.0.99.$((RANDOM % 200 + 20))
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.out" \
  "$work/weft" proxy sidecar --pod-ip "$pod" --app-address 127.0.0.1 --port "$app_port" \
  --name productpage --labels app=productpage,version=v1 --discovery-address "$disc" > "$work/sidecar.log" 2>&1 &
vg=$!
dump() {
  callgrind_control -d "$vg" >/dev/null
  for _ in $(seq 100); do [ -e "$work/cg.out.$1" ] && break; sleep 0.1; done
}
for _ in $(seq 600); do grep -q 'ready' "$work/sidecar.log" && break; sleep 0.1; done
grep -q 'ready' "$work/sidecar.log" || { cat "$work/sidecar.log"; echo "sidecar not ready under valgrind" >&2; exit 1; }
# 1: started, its app not up yet (the readiness probe fails): the timers an idle sidecar runs.
sleep 10
dump 1
# 2: the app comes up and the mesh's config arrives.
python3 -m http.server "$app_port" --bind 127.0.0.1 > "$work/app.log" 2>&1 &
"$work/weft" apply -f examples/bookinfo >/dev/null
sleep 10
dump 2
# 3: requests through the outbound and inbound listeners.
for _ in $(seq 20); do
  curl -s -o /dev/null -x "http://$pod:15001" "http://127.0.0.1:$app_port/" || true
  curl -s -o /dev/null "http://$pod:$app_port/" || true
  curl -s -o /dev/null -x "http://$pod:15001" "http://reviews:9080/reviews/0" || true
done
dump 3
kill "$vg"; wait "$vg" 2>/dev/null || true

# `weft run` (the sidecar sharing its process with the app's supervisor) cannot run under valgrind,
# whose own descriptors make Foundation's Process fail to spawn the app (EBADF): the page-fault
# rounds below cover what it adds.
run_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

python3 scripts/callgrind-functions.py /weft "$work"/cg.out.{1,2,3} > "$work/hot.txt"
python3 scripts/link-order-from-map.py "$work/hot.txt" "$map" scripts/weft-link-order.ld > scripts/weft-link-order.txt

# Callgrind misses some functions (it folds some jumps into their caller), so then, a few times:
# relink, run the real sidecar under `perf record -e page-faults`, and add the functions whose
# first instruction fetch faulted: each such fault is a 64 KiB window of code still outside the order.
sidecar_faults() { # NAME DISCOVERY ARGS...: an idle sidecar's first 5 s of page faults (no DISCOVERY: `weft run ARGS`)
  local name=$1 discovery=$2; shift 2
  local command=(run)
  [ -n "$discovery" ] && command=(proxy sidecar --discovery-address "$discovery")
  timeout -s INT 6 perf record -q -e page-faults -c 1 -d -o "$work/$name.data" \
    "$binary" "${command[@]}" "$@" > "$work/$name.log" 2>&1 || true
  perf script -i "$work/$name.data" --show-mmap-events -F time,ip,addr 2>/dev/null > "$work/$name.txt"
  python3 scripts/link-order-faults.py "$work/$name.txt" "$map" "$binary" 5 >> "$work/hot.txt"
}
# A second control plane with nothing applied: an idle sidecar of an empty mesh, as the benchmark runs it.
"$work/weft" control-plane --in-memory --http-address 127.0.0.1:0 --discovery-address 127.0.0.1:0 --log-level error > "$work/cp-empty.log" 2>&1 &
for _ in $(seq 200); do grep -q 'discovery on' "$work/cp-empty.log" && break; sleep 0.05; done
empty=$(grep -o 'discovery on [0-9.:]*' "$work/cp-empty.log" | awk '{print $3}')
for round in $(seq "${ROUNDS:-5}"); do
  weft=$(scripts/build-release.sh ${static:+--static})
  binary=$(readlink -f "$weft")
  sidecar_faults empty "$empty" --pod-ip "$pod" --port 9080
  sidecar_faults idle "$disc" --pod-ip "$pod" --port "$app_port" --app-address 127.0.0.2
  sidecar_faults with-app "$disc" --pod-ip "$pod" --port "$app_port" --app-address 127.0.0.1 --labels app=productpage
  WEFT_DISCOVERY_ADDRESS=$disc sidecar_faults run "" --labels app=reviews,version=v1 --port "$run_port" -- \
    sh -c 'exec python3 -m http.server "$PORT" --bind "$WEFT_APP_ADDRESS"'
  pkill -f -- "--port $run_port --" || true
  python3 scripts/link-order-from-map.py "$work/hot.txt" "$map" scripts/weft-link-order.ld > scripts/weft-link-order.txt
done
echo "scripts/weft-link-order.txt: $(wc -l < scripts/weft-link-order.txt) functions"
