#!/usr/bin/env bash
# A sidecar with a large mesh in view: SERVICES Services (two ports each, over 50 namespaces) and
# ENDPOINTS endpoints (WorkloadEntries spread over them), no Sidecar resource scoping it. For
# concurrency 1 and 2 (a fresh sidecar each), once its first configuration is installed: its
# resident memory (VmRSS, VmHWM, read before anything asks it for a dump), and how long it took to
# apply that push (decode + install, the proxy's own `control_plane.config_apply_*` gauges, in µs);
# then CHANGES pushes of one more endpoint each: the apply time of each (median and max) and the
# memory after them. Last, what it holds (clusters, endpoints) from its /config_dump.
#   Benchmarks/memory-scale.sh [SERVICES] [ENDPOINTS] [CHANGES]     (default 1000 2000 20)
set -euo pipefail
cd "$(dirname "$0")/.."
services="${1:-1000}"
endpoints="${2:-2000}"
changes="${3:-20}"
namespaces=50
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start_control_plane "$work"
echo "control plane at $WEFT_CONTROL_PLANE; $services services, $endpoints endpoints in $namespaces namespaces"

python3 - "$services" "$endpoints" "$namespaces" > "$work/mesh.yaml" <<'PY'
import sys
services, endpoints, namespaces = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{n}}}" for n in range(namespaces)]
for i in range(services):
    docs.append(f"""apiVersion: v1
kind: Service
metadata: {{name: svc-{i}, namespace: ns-{i % namespaces}}}
spec:
  selector: {{app: svc-{i}}}
  ports: [{{name: http, port: 8080}}, {{name: grpc, port: 9090}}]""")
for e in range(endpoints):
    i = e % services
    docs.append(f"""apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {{name: svc-{i}-{e}, namespace: ns-{i % namespaces}}}
spec:
  address: 10.{(e >> 16) & 255}.{(e >> 8) & 255}.{e & 255}
  labels: {{app: svc-{i}}}
  serviceAccount: svc-{i}""")
print("\n---\n".join(docs))
PY
"$WEFT" apply -f "$work/mesh.yaml" > /dev/null

stat_of() { curl -s "http://$1:15000/stats" | awk -F': ' -v name="$2" '$1 == name { print $2 }'; }
memory_of() { awk '/^VmRSS:|^VmHWM:/ { printf "%s %.1f MiB  ", $1, $2 / 1024 }' "/proc/$1/status"; }
added=0
measure() { # concurrency pod-ip
  local log="$work/c$1.log"
  "$WEFT" proxy sidecar --concurrency "$1" --pod-ip "$2" --namespace ns-0 --labels app=probe --port 8080 --discovery-address "$WEFT_DISCOVERY_ADDRESS" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do [ -n "$(stat_of "$2" control_plane.config_installed)" ] && break; sleep 0.05; done
  echo "concurrency $1:"
  echo "  first push:  apply $(stat_of "$2" control_plane.config_apply_last_us) µs (slowest response type $(stat_of "$2" control_plane.config_apply_max_us) µs)   $(memory_of "$pid")"
  local times=()
  for _ in $(seq "$changes"); do
    local before; before=$(stat_of "$2" control_plane.config_installed)
    added=$((added + 1))
    "$WEFT" apply -f - > /dev/null <<YAML
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: added-$added, namespace: ns-1}
spec:
  address: 10.200.$((added / 256)).$((added % 256))
  labels: {app: svc-1}
YAML
    for _ in $(seq 400); do [ "$(stat_of "$2" control_plane.config_installed)" != "$before" ] && break; sleep 0.05; done
    times+=("$(stat_of "$2" control_plane.config_apply_last_us)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$changes" '{ t[NR] = $1 } END { printf "  %d pushes of one endpoint: apply median %d µs, max %d µs", n, t[int((NR + 1) / 2)], t[NR] }'
  echo "   $(memory_of "$pid")"
  curl -s "http://$2:15000/config_dump" > "$work/dump.json"
  python3 - "$work/dump.json" <<'PY'
import json, sys
dump = json.load(open(sys.argv[1]))["configuration"]
groups = dump.get("endpoints", [])
print(f"  holds {len(dump.get('clusters', []))} clusters, {len(groups)} endpoint groups, "
      f"{sum(len(group.get('endpoints', [])) for group in groups)} endpoints")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
measure 1 127.0.79.1
measure 2 127.0.79.2
