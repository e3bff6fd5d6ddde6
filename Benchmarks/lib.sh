# Shared by the benchmark scripts (sourced, not run).

# The weft under test: $WEFT, or the release build laid out by scripts/build-release.sh (built first);
# WEFT_STATIC=1 builds it with the Swift runtime and Foundation linked in (a self-contained binary for
# hosts without Swift).
weft_release() {
  if [ -n "${WEFT:-}" ]; then return; fi
  local log; log=$(mktemp)
  WEFT=$(scripts/build-release.sh ${WEFT_STATIC:+--static} 2>"$log") || { cat "$log" >&2; rm -f "$log"; return 1; }
  rm -f "$log"
}

# A control plane with an in-memory store on free ports, logging to $1/cp.log; exports
# WEFT_CONTROL_PLANE and WEFT_DISCOVERY_ADDRESS for the weft commands that follow, and sets CP_PID.
start_control_plane() {
  "$WEFT" control-plane --in-memory --http-address 127.0.0.1:0 --discovery-address 127.0.0.1:0 --log-level error > "$1/cp.log" 2>&1 &
  CP_PID=$!
  # Both addresses: the two lines come in either order.
  for _ in $(seq 200); do grep -q 'discovery on' "$1/cp.log" && grep -q 'config API on' "$1/cp.log" && break; sleep 0.05; done
  WEFT_CONTROL_PLANE=$(grep -o 'http://[0-9.:]*' "$1/cp.log")
  WEFT_DISCOVERY_ADDRESS=$(grep -o 'discovery on [0-9.:]*' "$1/cp.log" | awk '{print $3}')
  export WEFT_CONTROL_PLANE WEFT_DISCOVERY_ADDRESS
  apply_concurrency
}

# Every workload's proxy runs $CONCURRENCY event loops (default 1, beside HAProxy's `nbthread`
# of the same), through a mesh-wide ProxyConfig as an Istio user sets it; `weft proxy` commands
# take it as --concurrency "$(proxy_concurrency)".
proxy_concurrency() { echo "${CONCURRENCY:-1}"; }
apply_concurrency() {
  "$WEFT" apply -f - >/dev/null <<YAML
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: benchmark-concurrency, namespace: istio-system}
spec: {concurrency: $(proxy_concurrency)}
YAML
}
