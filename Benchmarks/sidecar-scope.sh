#!/usr/bin/env bash
# What the seed's "gradual adoption" Sidecar (egress hosts `./*` and `istio-system/*`) saves a
# proxy in a mesh of SERVICES services (50 namespaces, each with its Services, a Deployment-less
# workload per service is not needed: clusters and routes follow the Services): the configuration a
# sidecar in one namespace receives (listeners, route virtual hosts, clusters, endpoint groups, and
# the bytes of its /config_dump) and its memory once it holds it, without the Sidecar and with it.
# Each case starts a fresh sidecar (the memory a process once took is not given back).
#   Benchmarks/sidecar-scope.sh [SERVICES]     (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
services="${1:-1000}"
namespaces=50
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
start_control_plane "$work"
echo "control plane at $WEFT_CONTROL_PLANE; $services services in $namespaces namespaces"

python3 - "$services" "$namespaces" > "$work/mesh.yaml" <<'PY'
import sys
services, namespaces = int(sys.argv[1]), int(sys.argv[2])
docs = [f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{n}}}" for n in range(namespaces)]
docs.append("apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}")
for i in range(services):
    docs.append(f"""apiVersion: v1
kind: Service
metadata: {{name: svc-{i}, namespace: ns-{i % namespaces}}}
spec:
  selector: {{app: svc-{i}}}
  ports: [{{name: http, port: 8080}}, {{name: grpc, port: 9090}}]""")
print("\n---\n".join(docs))
PY
"$WEFT" apply -f "$work/mesh.yaml" > /dev/null

# One sidecar in ns-0; prints what it holds once its configuration stops growing.
measure() { # label pod-ip
  local log="$work/$1.log"
  "$WEFT" proxy sidecar --concurrency 1 --pod-ip "$2" --namespace ns-0 --labels app=probe --port 8080 --discovery-address "$WEFT_DISCOVERY_ADDRESS" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 400); do grep -q 'ready' "$log" && break; sleep 0.05; done
  local last=0 size=0
  # Settled: the dump's size the same twice, a second apart (bounded: 30 s).
  for _ in $(seq 30); do
    size=$(curl -s "http://$2:15000/config_dump" | wc -c)
    [ "$size" -gt 0 ] && [ "$size" = "$last" ] && break
    last=$size; sleep 1
  done
  curl -s "http://$2:15000/config_dump" > "$work/$1.json"
  python3 - "$work/$1.json" "$1" "$pid" <<'PY'
import json, sys
dump = json.load(open(sys.argv[1]))["configuration"]
rss = next(int(line.split()[1]) for line in open(f"/proc/{sys.argv[3]}/status") if line.startswith("VmRSS:"))
anon = next(int(line.split()[1]) for line in open(f"/proc/{sys.argv[3]}/smaps_rollup") if line.startswith("Pss_Anon:"))
hosts = sum(len(table.get("virtualHosts", [])) for table in dump.get("routeTables", []))
size = len(open(sys.argv[1], "rb").read())
print(f"{sys.argv[2]:<22} clusters {len(dump.get('clusters', [])):>5}   virtual hosts {hosts:>5}   endpoint groups {len(dump.get('endpoints', [])):>5}   "
      f"config_dump {size / 1024:8.1f} KiB   RSS {rss / 1024:6.1f} MiB (anonymous {anon / 1024:5.1f} MiB)")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
measure "no Sidecar" 127.0.78.1
"$WEFT" apply -f - > /dev/null <<'YAML'
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: ns-0}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
YAML
measure "gradual-adoption" 127.0.78.2
