#!/usr/bin/env bash
# Weft in one minute: a control plane, two versions of a service each with its sidecar, and a
# client whose requests follow a VirtualService. Everything runs on loopback and is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product weft >/dev/null
weft=.build/debug/weft
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$weft" control-plane --in-memory --http-address 127.0.0.1:0 --discovery-address 127.0.0.1:0 --log-level error > "$work/cp.log" 2>&1 &
for _ in $(seq 200); do grep -q 'discovery on' "$work/cp.log" && break; sleep 0.05; done
export WEFT_CONTROL_PLANE=$(grep -o 'http://[0-9.:]*' "$work/cp.log")
export WEFT_DISCOVERY_ADDRESS=$(grep -o 'discovery on [0-9.:]*' "$work/cp.log" | awk '{print $3}')
echo "control plane: $WEFT_CONTROL_PLANE (discovery $WEFT_DISCOVERY_ADDRESS)"

"$weft" apply -f - <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers:
        end-user: {exact: jason}
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: reviews, subset: v1}}]
YAML

for version in v1 v2; do
  APP_NAME="reviews-$version" "$weft" run --labels "app=reviews,version=$version" --port 9080 --name "reviews-$version" \
    -- python3 Tests/Fixtures/echo_app.py > "$work/$version.log" 2>&1 &
done
for _ in $(seq 200); do [ "$("$weft" proxy-status | grep -c SYNCED)" -ge 2 ] && break; sleep 0.05; done
# A workload is an endpoint once its app answers (the sidecar probes it): wait for both.
first=$("$weft" proxy-status | awk 'NR==2 {print $1}')
for _ in $(seq 200); do [ "$("$weft" proxy-config endpoints "$first" | grep -c 'reviews-v')" -ge 4 ] && break; sleep 0.05; done
"$weft" proxy-status
echo
echo "requests from a client workload (through its sidecar):"
"$weft" run --labels app=client --name client -- sh -c '
  for i in 1 2 3; do printf "anonymous -> "; curl -s http://reviews:9080/reviews/0 | cut -c1-24; echo; done
  printf "jason     -> "; curl -s -H "end-user: jason" http://reviews:9080/reviews/0 | cut -c1-24; echo'
