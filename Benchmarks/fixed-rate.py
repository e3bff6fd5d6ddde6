#!/usr/bin/env python3
"""HTTP/1.1 POSTs at a fixed rate over keep-alive connections, latency percentiles to the microsecond.

    fixed-rate.py URL RATE CONNECTIONS SECONDS BODY_FILE [PROXY_HOST:PORT]

hey (data-path.sh's fixed-rate client, as Istio's harness) prints latencies to 0.1 ms, the size of
the difference issue 19's added-p50 target compares; this client times each request with the
monotonic clock in nanoseconds. CONNECTIONS threads, each on its own connection, send one request
every CONNECTIONS/RATE seconds (staggered), each after the previous answer (as hey does: a late
answer delays the next request, no catching up). With PROXY the request goes to it in absolute form,
as `hey -x` sends it; BENCH_TOKEN, when set, goes in an Authorization header as data-path.sh's hey sends it. Prints one line: p50 p90 p99 (ms, 3 decimals) requests answered, non-200 count.
The client's own time is in every path's figure alike, so subtract the direct path's, as data-path.sh does.
"""
import os
import socket
import sys
import threading
import time
from urllib.parse import urlsplit


def request_bytes(url: str, body: bytes, proxied: bool) -> bytes:
    parts = urlsplit(url)
    target = url if proxied else (parts.path or "/")
    token = os.environ.get("BENCH_TOKEN")
    authorization = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/octet-stream\r\n"
            f"{authorization}Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def read_response(sock: socket.socket, pending: bytearray) -> int:
    """Reads one response with a Content-Length (nginx's and the proxies' answers); returns its status."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response head")
        pending += chunk
    end = pending.index(b"\r\n\r\n") + 4
    head = pending[:end].decode("latin-1")
    status = int(head.split(" ", 2)[1])
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(pending) < end + length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in a response body")
        pending += chunk
    del pending[:end + length]
    return status


def run(address, request: bytes, interval: float, first: float, until: float, latencies: list, statuses: list) -> None:
    sock = socket.create_connection(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = bytearray()
    due = first
    while due < until:
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        start = time.monotonic_ns()
        sock.sendall(request)
        status = read_response(sock, pending)
        latencies.append(time.monotonic_ns() - start)
        statuses.append(status)
        due = max(due + interval, time.monotonic())
    sock.close()


def main() -> int:
    url, rate, connections, seconds, body_path = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    proxy = sys.argv[6] if len(sys.argv) > 6 else None
    body = open(body_path, "rb").read()
    if proxy:
        host, _, port = proxy.rpartition(":")
    else:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 80
    request = request_bytes(url, body, proxy is not None)
    interval = connections / rate
    begin = time.monotonic() + 0.05
    until = begin + seconds
    latencies, statuses, threads = [], [], []
    for index in range(connections):
        thread = threading.Thread(target=run, args=((host, int(port)), request, interval, begin + index * interval / connections,
                                                    until, latencies, statuses))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    if not ordered:
        print("no answers", file=sys.stderr)
        return 1
    pick = lambda p: ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] / 1e6
    print(f"{pick(50):.3f} {pick(90):.3f} {pick(99):.3f} {len(ordered)} {sum(1 for s in statuses if s != 200)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
