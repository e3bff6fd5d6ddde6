#!/usr/bin/env python3
"""WebSocket peers for mesh tests, with the `websockets` package from PyPI.
  websocket_peers.py server PORT
      an echo server on WEFT_APP_ADDRESS (or 127.0.0.1); each message comes back as it was sent,
      prefixed with APP_NAME for text messages ("NAME:text").
  websocket_peers.py client HOST PORT AUTHORITY COUNT
      connects to HOST:PORT (a sidecar listener) asking for ws://AUTHORITY/echo, sends COUNT
      messages (text, and every tenth a binary one of up to 100 KB), checks each echo, then one
      close handshake; prints a JSON report.
  websocket_peers.py garbage HOST PORT AUTHORITY
      a handshake by hand, then bytes that are no WebSocket frame: reports the status line and
      the first byte the server sent back (0x88, a close frame, if the garbage reached it)."""
import json
import os
import socket
import sys


def serve(port):
    from websockets.sync.server import serve as ws_serve
    name = os.environ.get("APP_NAME", "app")

    def echo(connection):
        for message in connection:
            connection.send(f"{name}:{message}" if isinstance(message, str) else message)

    address = os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1")
    with ws_serve(echo, address, port, max_size=None) as server:
        server.serve_forever()


def client(host, port, authority, count):
    from websockets.sync.client import connect
    report = {"sent": 0, "echoed": 0, "mismatched": 0, "server": None, "error": None}
    try:
        sock = socket.create_connection((host, port), timeout=10)
        with connect(f"ws://{authority}/echo", sock=sock, max_size=None, open_timeout=10, close_timeout=5) as ws:
            for i in range(count):
                if i % 10 == 9:
                    payload = bytes([i % 251]) * (1000 * (i % 100 + 1))
                    ws.send(payload)
                    answer = ws.recv(timeout=10)
                    ok = answer == payload
                else:
                    payload = f"message {i}"
                    ws.send(payload)
                    answer = ws.recv(timeout=10)
                    server, _, text = answer.partition(":")
                    report["server"] = server
                    ok = text == payload
                report["sent"] += 1
                report["echoed"] += 1 if ok else 0
                report["mismatched"] += 0 if ok else 1
    except Exception as error:  # the report says what went wrong
        report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report))


def garbage(host, port, authority):
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall((f"GET /echo HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    sock.sendall(b"\xff\x7f" + b"not a frame" * 100)
    try:
        while not rest:
            chunk = sock.recv(4096)
            if not chunk:
                break
            rest += chunk
    except OSError:
        pass
    print(json.dumps({"status": head.split(b"\r\n")[0].decode(errors="replace"), "first_byte": rest[0] if rest else None}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "garbage":
        garbage(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
