#!/usr/bin/env python3
"""A stand-in for Istio's tcp-echo sample (samples/tcp-echo): on each port given, every line a client
sends comes back with the prefix "hello " (the sample's `hello` prefix), until the client closes.
Binds WEFT_APP_ADDRESS (or 127.0.0.1)."""
import os
import socketserver
import sys
import threading


class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b"hello " + line)
            self.wfile.flush()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    address = os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1")
    servers = [Server((address, int(port)), Echo) for port in sys.argv[1:]]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()
