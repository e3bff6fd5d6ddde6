#!/usr/bin/env python3
"""An HTTPS app for passthrough tests: answers every request with its APP_NAME over TLS it
terminates itself (CERT and KEY files; with CLIENT_CA, only clients with a certificate that CA
signed). Binds WEFT_APP_ADDRESS (or 127.0.0.1) on PORT."""
import os
import ssl
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = (os.environ.get("APP_NAME", "tls-app") + "\n").encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer((os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1"), int(os.environ["PORT"])), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.environ["CERT"], os.environ["KEY"])
if os.environ.get("CLIENT_CA"):
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(os.environ["CLIENT_CA"])
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
