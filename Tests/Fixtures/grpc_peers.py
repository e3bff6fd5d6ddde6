"""A real gRPC server and client (grpcio), with raw-bytes methods so no generated code is needed.
  serve HOST PORT NAME   serves weft.Echo: Unary, ServerStream, ClientStream, Bidi (each answer
                         names the server), and Unavailable (always UNAVAILABLE, with a message);
                         with FAIL_UNARY=1 in the environment Unary fails UNAVAILABLE too (a bad replica)
  call TARGET AUTHORITY  calls every kind once through TARGET with :authority AUTHORITY and prints
                         one JSON line with what came back (and the status of Unavailable).
  unary TARGET AUTHORITY COUNT   COUNT unary calls; one JSON line: each answer, or the status
                         name and message of each failure."""
import json
import os
import sys
from concurrent import futures

import grpc

SERVICE = "weft.Echo"


def serve(host, port, name):
    fails = os.environ.get("FAIL_UNARY") == "1"

    def unary(request, context):
        if fails:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{name} fails every call")
        return b"%s:%s" % (name.encode(), request)

    def server_stream(request, context):
        for index in range(int(request or b"3")):
            yield b"%s:%d" % (name.encode(), index)

    def client_stream(requests, context):
        return b"%s:%s" % (name.encode(), b"+".join(requests))

    def bidi(requests, context):
        for request in requests:
            yield b"%s:%s" % (name.encode(), request)

    def unavailable(request, context):
        context.abort(grpc.StatusCode.UNAVAILABLE, f"{name} is unavailable")

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Unavailable": grpc.unary_unary_rpc_method_handler(unavailable),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"{host}:{port}")
    server.start()
    print(f"serving {SERVICE} on {host}:{port}", flush=True)
    server.wait_for_termination()


def call(target, authority):
    options = [("grpc.default_authority", authority), ("grpc.enable_http_proxy", 0)]
    result = {}
    with grpc.insecure_channel(target, options=options) as channel:
        unary = channel.unary_unary(f"/{SERVICE}/Unary")
        result["unary"] = unary(b"hello", timeout=10).decode()
        server_stream = channel.unary_stream(f"/{SERVICE}/ServerStream")
        result["server_stream"] = [item.decode() for item in server_stream(b"5", timeout=10)]
        client_stream = channel.stream_unary(f"/{SERVICE}/ClientStream")
        result["client_stream"] = client_stream(iter([b"a", b"b", b"c"]), timeout=10).decode()
        bidi = channel.stream_stream(f"/{SERVICE}/Bidi")
        result["bidi"] = [item.decode() for item in bidi(iter([b"x", b"y", b"z", b"w"]), timeout=10)]
        failing = channel.unary_unary(f"/{SERVICE}/Unavailable")
        try:
            failing(b"", timeout=10)
            result["unavailable"] = "OK"
        except grpc.RpcError as error:
            result["unavailable"] = error.code().name
            result["unavailable_message"] = error.details()
    print(json.dumps(result))


def unary_calls(target, authority, count):
    options = [("grpc.default_authority", authority), ("grpc.enable_http_proxy", 0), ("grpc.enable_retries", 0)]
    answers = []
    with grpc.insecure_channel(target, options=options) as channel:
        unary = channel.unary_unary(f"/{SERVICE}/Unary")
        for index in range(count):
            try:
                answers.append(unary(b"%d" % index, timeout=10).decode())
            except grpc.RpcError as error:
                answers.append(f"{error.code().name}: {error.details()}")
    print(json.dumps(answers))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "unary":
        unary_calls(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        call(sys.argv[2], sys.argv[3])
