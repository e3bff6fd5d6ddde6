#!/usr/bin/env python3
"""A stand-in for Istio's ext-authz sample (samples/extauthz), its HTTP contract as istio.io's
External Authorization task documents it: a check whose `x-ext-authz` header is `allow` is answered
200 with `x-ext-authz-check-result: allowed`; any other is answered 403 with
`x-ext-authz-check-result: denied` and the body
"denied by ext_authz for not found header `x-ext-authz: allow` in the request".
Each check (method, path, headers) is appended as a JSON line to $CHECKS_FILE.
Binds WEFT_APP_ADDRESS (or 127.0.0.1) on the port given (8000)."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def check(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        with open(os.environ["CHECKS_FILE"], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        allowed = self.headers.get("x-ext-authz") == "allow"
        body = b"" if allowed else b"denied by ext_authz for not found header `x-ext-authz: allow` in the request"
        self.send_response(200 if allowed else 403)
        self.send_header("x-ext-authz-check-result", "allowed" if allowed else "denied")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = check

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer((os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1"), int(sys.argv[1])), Handler).serve_forever()
