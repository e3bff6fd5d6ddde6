#!/usr/bin/env python3
"""An OpenTelemetry collector's OTLP trace and logs receivers, decoding with the official opentelemetry-proto
package (the judge of what the proxies send), for tracing tests.
  otlp_collector.py GRPC_PORT HTTP_PORT OUT_FILE
    gRPC: opentelemetry.proto.collector.trace.v1.TraceService/Export and
          opentelemetry.proto.collector.logs.v1.LogsService/Export on 127.0.0.1:GRPC_PORT
    HTTP: POST /v1/traces (or any path) with a protobuf ExportTraceServiceRequest on 127.0.0.1:HTTP_PORT
  Each export is appended to OUT_FILE as one JSON line: {"transport" (grpc, http or grpc-logs), "path", "metadata", "request"}
  (the request as protobuf's own JSON mapping: ids in base64, as MessageToDict writes them).
  An HTTP body that does not parse is answered 400 and recorded with "error"."""
import json
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

lock = threading.Lock()


def record(out, entry):
    with lock, open(out, "a") as f:
        f.write(json.dumps(entry) + "\n")


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, out):
        self.out = out

    def Export(self, request, context):
        metadata = {k: v for k, v in context.invocation_metadata()}
        record(self.out, {"transport": "grpc", "path": "", "metadata": metadata, "request": MessageToDict(request)})
        return trace_service_pb2.ExportTraceServiceResponse()


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def __init__(self, out):
        self.out = out

    def Export(self, request, context):
        metadata = {k: v for k, v in context.invocation_metadata()}
        record(self.out, {"transport": "grpc-logs", "path": "", "metadata": metadata, "request": MessageToDict(request)})
        return logs_service_pb2.ExportLogsServiceResponse()


def http_handler(out):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            request = trace_service_pb2.ExportTraceServiceRequest()
            entry = {"transport": "http", "path": self.path, "metadata": {k.lower(): v for k, v in self.headers.items()}}
            try:
                request.ParseFromString(body)
                entry["request"] = MessageToDict(request)
                status, answer = 200, trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            except Exception as error:  # noqa: BLE001 - any parse failure is the sender's
                entry["error"] = str(error)
                status, answer = 400, b""
            record(out, entry)
            self.send_response(status)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


if __name__ == "__main__":
    grpc_port, http_port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    open(out, "a").close()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(out), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsService(out), server)
    server.add_insecure_port(f"127.0.0.1:{grpc_port}")
    server.start()
    ThreadingHTTPServer(("127.0.0.1", http_port), http_handler(out)).serve_forever()
