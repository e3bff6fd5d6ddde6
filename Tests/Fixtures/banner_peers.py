#!/usr/bin/env python3
"""A server-first TCP protocol (as SMTP or MySQL greet first), for protocol-detection tests.
  banner_peers.py server PORT   on WEFT_APP_ADDRESS: greets each connection with "220 APP_NAME ready",
                                then echoes each line back upper-cased (PORT 0: a free one, printed).
  banner_peers.py client HOST PORT   connects, waits (10 s at most) for the greeting without sending,
                                then sends "hello" and prints JSON: the greeting and the echo.
  banner_peers.py tls-client HOST PORT NAME CAFILE   the same over TLS (server name NAME, trusting CAFILE).
  A client connects from CLIENT_SOURCE (an address) when it is set."""
import json
import os
import socket
import socketserver
import ssl
import sys


class Greeter(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(f"220 {os.environ.get('APP_NAME', 'app')} ready\r\n".encode())
        for line in self.rfile:
            self.wfile.write(line.upper())


def client(host, port, name=None, cafile=None):
    report = {"greeting": None, "echo": None}
    try:
        source = os.environ.get("CLIENT_SOURCE")
        sock = socket.create_connection((host, port), timeout=10, source_address=(source, 0) if source else None)
        if name:
            sock = ssl.create_default_context(cafile=cafile).wrap_socket(sock, server_hostname=name)
        reader = sock.makefile("rb")
        report["greeting"] = reader.readline().decode().strip()
        sock.sendall(b"hello\n")
        report["echo"] = reader.readline().decode().strip()
    except OSError as error:
        report["error"] = str(error)
    print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer((os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1"), int(sys.argv[2])), Greeter)
        if sys.argv[2] == "0":
            print(server.server_address[1], flush=True)  # the port it was given
        server.serve_forever()
    elif sys.argv[1] == "tls-client":
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        client(sys.argv[2], int(sys.argv[3]))
