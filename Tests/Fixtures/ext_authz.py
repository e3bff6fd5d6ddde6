#!/usr/bin/env python3
"""A stand-in for Istio's ext-authz sample (samples/extauthz), its HTTP and gRPC contracts as istio.io's
External Authorization task documents them and the sample's source answers.
HTTP (the first port): a check whose `x-ext-authz` header is `allow` is answered 200 with
`x-ext-authz-check-result: allowed`; any other is answered 403 with `x-ext-authz-check-result: denied`
and the body "denied by ext_authz for not found header `x-ext-authz: allow` in the request".
gRPC (the second port, when given): Envoy's envoy.service.auth.v3.Authorization/Check, served with
the official generated messages of the `xds-protos` package. A request whose `x-ext-authz` header is
`allow` (or without the header, a source principal of the service account ALLOW_SERVICE_ACCOUNT,
"a" by default: a TCP connection's check has no headers) gets status OK and an OkHttpResponse setting
`x-ext-authz-check-result: allowed` and
`x-ext-authz-additional-header-override: grpc-additional-header-override-value`; any other gets
PERMISSION_DENIED and a DeniedHttpResponse (403, the body above, `x-ext-authz-check-result: denied`),
as the sample's Check answers. Beyond the sample, for the test of Envoy's OkHttpResponse edits: with
`x-ext-authz-edit: 1` too, the answer also appends `x-appended: from-authz` (append true), removes
`x-other` and adds `x-authz-said: hi` to the client's answer.
Each check is appended as a JSON line to $CHECKS_FILE (HTTP: method, path, headers, body; gRPC: the
CheckRequest as JSON and the call's metadata).
Binds WEFT_APP_ADDRESS (or 127.0.0.1) on the ports given (8000 [9000])."""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def check(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        with open(os.environ["CHECKS_FILE"], "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body.decode(errors="replace"),
                                "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        allowed = self.headers.get("x-ext-authz") == "allow"
        body = b"" if allowed else DENIAL.encode()
        self.send_response(200 if allowed else 403)
        self.send_header("x-ext-authz-check-result", "allowed" if allowed else "denied")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = check

    def log_message(self, *args):
        pass


DENIAL = "denied by ext_authz for not found header `x-ext-authz: allow` in the request"


# xds-protos is installed apart (.ci/run: pip --target, without its bundled opentelemetry and
# opencensus, which would replace opentelemetry-proto's newer modules that the OTLP tests decode with).
XDS_PROTOS = os.environ.get("XDS_PROTOS_PATH", "/opt/weft-xds-protos")


def serve_grpc(address, port):
    if XDS_PROTOS not in sys.path:
        sys.path.append(XDS_PROTOS)
    from concurrent import futures
    import grpc
    from google.protobuf import json_format
    from google.protobuf.wrappers_pb2 import BoolValue
    from google.rpc import code_pb2, status_pb2
    from envoy.config.core.v3.base_pb2 import HeaderValue, HeaderValueOption
    from envoy.service.auth.v3 import external_auth_pb2 as auth, external_auth_pb2_grpc as auth_grpc
    from envoy.type.v3.http_status_pb2 import HttpStatus

    def header(key, value, append=None):
        option = HeaderValueOption(header=HeaderValue(key=key, value=value))
        if append is not None:
            option.append.CopyFrom(BoolValue(value=append))
        return option

    class Authorization(auth_grpc.AuthorizationServicer):
        def Check(self, request, context):
            with open(os.environ["CHECKS_FILE"], "a") as f:
                f.write(json.dumps({"grpc": json_format.MessageToDict(request, preserving_proto_field_name=True),
                                    "metadata": {k: v for k, v in context.invocation_metadata()}}) + "\n")
            headers = request.attributes.request.http.headers
            # The sample's rule: the header decides when present, else the source's service account
            # (its -allow_service_account flag, "a" by default; here ALLOW_SERVICE_ACCOUNT).
            if "x-ext-authz" in headers:
                allowed = headers["x-ext-authz"] == "allow"
            else:
                account = os.environ.get("ALLOW_SERVICE_ACCOUNT", "a")
                allowed = request.attributes.HasField("source") and request.attributes.source.principal.endswith("/sa/" + account)
            if allowed:
                ok = auth.OkHttpResponse(headers=[header("x-ext-authz-check-result", "allowed"),
                                                  header("x-ext-authz-additional-header-override", "grpc-additional-header-override-value")])
                if headers.get("x-ext-authz-edit") == "1":
                    ok.headers.append(header("x-appended", "from-authz", append=True))
                    ok.headers_to_remove.append("x-other")
                    ok.response_headers_to_add.append(header("x-authz-said", "hi"))
                return auth.CheckResponse(status=status_pb2.Status(code=code_pb2.OK), ok_response=ok)
            denied = auth.DeniedHttpResponse(status=HttpStatus(code=403), body=DENIAL,
                                             headers=[header("x-ext-authz-check-result", "denied")])
            return auth.CheckResponse(status=status_pb2.Status(code=code_pb2.PERMISSION_DENIED), denied_response=denied)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    auth_grpc.add_AuthorizationServicer_to_server(Authorization(), server)
    server.add_insecure_port(f"{address}:{port}")
    server.start()
    return server


if __name__ == "__main__":
    address = os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1")
    grpc_server = serve_grpc(address, int(sys.argv[2])) if len(sys.argv) > 2 else None
    ThreadingHTTPServer((address, int(sys.argv[1])), Handler).serve_forever()
