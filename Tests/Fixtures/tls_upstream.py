#!/usr/bin/env python3
"""A TLS upstream for DestinationRule origination tests: answers every GET with the client
certificate's subject CN (or "anonymous") and the SNI it got. Usage: tls_upstream.py ADDRESS CERT KEY
[CLIENT_CA]; listens on PORT from the environment (else a free port) and prints it. With CLIENT_CA, a
client certificate signed by it is required (DestinationRule MUTUAL). APP_NAME, when set, is named in
every answer ("tls upstream NAME, client ...")."""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.connection.getpeercert() or {}
        subject = dict(item[0] for item in peer.get("subject", ()))
        name = " " + os.environ["APP_NAME"] if os.environ.get("APP_NAME") else ""
        body = ("tls upstream" + name + ", client " + subject.get("commonName", "anonymous") + ", sni " + str(getattr(self.server, "sni", None)) + "\n").encode()
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    address, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if len(sys.argv) > 4:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[4])
    server = http.server.ThreadingHTTPServer((address, int(os.environ.get("PORT") or 0)), Handler)

    def remember(sock, name, _):
        server.sni = name
    context.sni_callback = remember
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
