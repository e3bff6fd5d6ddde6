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

# nginx answering every request with 1 KB, run from a private config in $1 (pid, logs and temp paths
# there) listening on $2 (host:port; APP_ADDRESS:8080 for a template a workload fills in), written to $3.
nginx_1kb_conf() {
  head -c 1024 /dev/zero | tr '\0' 'x' > "$1/body"
  mkdir -p "$1/nginx-tmp"
  cat > "$3" <<NGINX
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $1/nginx-tmp/body; proxy_temp_path $1/nginx-tmp/proxy;
  fastcgi_temp_path $1/nginx-tmp/fastcgi; uwsgi_temp_path $1/nginx-tmp/uwsgi; scgi_temp_path $1/nginx-tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen $2;
    location / { default_type application/octet-stream; return 200 "$(cat "$1/body")"; }
  }
}
NGINX
}

# An HAProxy HTTP proxy's configuration in $work/NAME.cfg (the caller's $work): listening on
# 127.0.0.1:LISTEN-PORT, forwarding to UPSTREAM over keep-alive connections, $(proxy_concurrency)
# threads; BIND and SERVER options add TLS, REUSE is `http-reuse` (default always).
haproxy_conf() { # name listen-port upstream [bind-options] [server-options] [reuse]
  cat > "$work/$1.cfg" <<HAPROXY
global
  nbthread $(proxy_concurrency)
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse ${6:-always}
frontend in
  bind 127.0.0.1:$2 ${4:-}
  default_backend out
backend out
  server s1 $3 ${5:-}
HAPROXY
}

# A test CA and two ECDSA P-256 leaves (server, client) in $1: ca.pem, server.pem and client.pem
# (certificate and key), as the mesh CA issues them.
mutual_tls_test_certificates() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca -keyout "$1/ca.key" -out "$1/ca.pem" 2>/dev/null
  local leaf
  for leaf in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$leaf" -keyout "$1/$leaf.key" -out "$1/$leaf.csr" 2>/dev/null
    openssl x509 -req -in "$1/$leaf.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -CAcreateserial -days 2 -out "$1/$leaf.crt" 2>/dev/null
    cat "$1/$leaf.crt" "$1/$leaf.key" > "$1/$leaf.pem"
  done
}
