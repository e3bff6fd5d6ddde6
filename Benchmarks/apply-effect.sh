#!/usr/bin/env bash
# apply→effect: the time from `weft apply` of a VirtualService change until a request through a
# client's sidecar is routed by it (observed on the data path, not from the control plane's word).
# Two versions of a service, a client sidecar; the route flips between v1 and v2 RUNS times.
#   Benchmarks/apply-effect.sh [RUNS, default 10]
# Uses the release build unless WEFT=path is given. Target (issue 3): under 1 s.
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
runs="${1:-10}"
. Benchmarks/lib.sh
weft_release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
start_control_plane "$work"
"$WEFT" apply -f - >/dev/null <<'YAML'
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
YAML
for version in v1 v2; do
  APP_NAME="reviews-$version" "$WEFT" run --labels "app=reviews,version=$version" --port 9080 --name "reviews-$version" \
    -- python3 Tests/Fixtures/echo_app.py > "$work/$version.log" 2>&1 &
done
"$WEFT" run --labels app=client --name client -- sh -c "echo \$WEFT_POD_IP > $work/client-pod; exec sleep 1000000" > "$work/client.log" 2>&1 &
for _ in $(seq 400); do [ -s "$work/client-pod" ] && break; sleep 0.05; done
export CLIENT_POD=$(cat "$work/client-pod")
route() {
  cat <<YAML
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: $1}}]
YAML
}
# Waits until requests through the client's sidecar reach reviews-$1; prints the seconds since $2 (epoch ns).
cat > "$work/wait.py" <<'PY'
import json, os, sys, time, urllib.request
want, start = "reviews-" + sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": "http://%s:15001" % os.environ["CLIENT_POD"]}))
deadline, last = time.time() + 30, None
while time.time() < deadline:
    try:
        with opener.open("http://reviews:9080/", timeout=5) as response:
            last = json.loads(response.read()).get("name")
            if last == want:
                print("%.3f" % ((time.time_ns() - start) / 1e9))
                sys.exit(0)
    except Exception as error:
        last = repr(error)
sys.stderr.write("still %s after 30 s\n" % last)
print("timeout")
sys.exit(1)
PY
route v1 | "$WEFT" apply -f - >/dev/null
python3 "$work/wait.py" v1 "$(date +%s%N)" >/dev/null
echo "apply→effect over $runs route flips (apply command start → first request routed by the new rule):"
times=()
for i in $(seq "$runs"); do
  version=$([ $((i % 2)) = 1 ] && echo v2 || echo v1)
  start=$(date +%s%N)
  route "$version" | "$WEFT" apply -f - >/dev/null
  t=$(python3 "$work/wait.py" "$version" "$start")
  times+=("$t")
  echo "  run $i → $version: ${t} s"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "mean %.3f s, median %.3f s, max %.3f s (target: under 1 s)\n", s/NR, a[int((NR+1)/2)], a[NR]}'
