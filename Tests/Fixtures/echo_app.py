#!/usr/bin/env python3
"""A tiny HTTP app for mesh tests: answers every request with JSON naming itself and echoing
the request (path, headers), so a test can see which workload served it and what arrived.
/status/N answers N; a path with /delay/S waits S seconds first; /flaky fails every other request with 503.
/bytes/N answers N bytes of 'x' (a large response body).
/grpc-status/N answers 200 with a grpc-status: N header (a trailers-only gRPC error).
/__count/PATH answers {"count": N}: how many requests for /PATH reached this app (attempts, not answers).
/__sent/PATH answers {"sent": N}: how many bytes of the /bytes answer for /PATH it has written so far.
FAIL_IF_EXISTS=PATH: every request answers 503 while that file exists (an outlier on demand).
Binds WEFT_APP_ADDRESS (or 127.0.0.1) on PORT (or the first argument)."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    flaky_count = 0
    seen = {}
    # Bytes of /bytes/N answers written so far, by request path (a reader that stops holds the writer back).
    sent = {}

    def _read_chunks(self):
        """A chunked request body, de-chunked (trailers read and dropped)."""
        body = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return body
            body += self.rfile.read(size)
            self.rfile.readline()

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            body = self._read_chunks()
        if self.path.startswith("/__sent/"):
            with Handler.lock:
                payload = json.dumps({"sent": Handler.sent.get(self.path[len("/__sent"):], 0)}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if self.path.startswith("/__count/"):
            with Handler.lock:
                count = Handler.seen.get(self.path[len("/__count"):], 0)
            payload = json.dumps({"count": count}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        if self.path.startswith("/bytes/"):
            size = int(self.path.split("/")[2])
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(size))
            self.end_headers()
            chunk = b"x" * 65536
            while size > 0:
                part = chunk[:size]
                self.wfile.write(part)
                size -= len(part)
                with Handler.lock:
                    Handler.sent[self.path] = Handler.sent.get(self.path, 0) + len(part)
            return
        with Handler.lock:
            Handler.seen[self.path] = Handler.seen.get(self.path, 0) + 1
        status = 200
        if "/delay/" in self.path:
            time.sleep(float(self.path.split("/delay/")[1].split("/")[0]))
        if self.path.startswith("/flaky"):
            with Handler.lock:
                Handler.flaky_count += 1
                status = 503 if Handler.flaky_count % 2 == 1 else 200
        fail_file = os.environ.get("FAIL_IF_EXISTS")
        if fail_file and os.path.exists(fail_file):
            status = 503
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2])
        payload = json.dumps({
            "name": os.environ.get("APP_NAME", "app"),
            "path": self.path,
            "method": self.command,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            # Names that came more than once (the dict above keeps one value of each).
            "repeated": sorted({k.lower() for k in self.headers.keys() if len(self.headers.get_all(k)) > 1}),
            "body_length": len(body),
        }).encode()
        self.send_response(status)
        if self.path.startswith("/grpc-status/"):
            self.send_header("grpc-status", self.path.split("/")[2])
        self.send_header("x-upstream-secret", "1")
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        pass


def main():
    port = int(os.environ.get("PORT") or (sys.argv[1] if len(sys.argv) > 1 else 8080))
    address = os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1")
    ThreadingHTTPServer((address, port), Handler).serve_forever()


if __name__ == "__main__":
    main()
