"""A real gRPC server and client (grpcio), with raw-bytes methods so no generated code is needed.
  serve HOST PORT NAME   serves weft.Echo: Unary, ServerStream, ClientStream, Bidi (each answer
                         names the server), Unavailable (always UNAVAILABLE, with a message) and
                         Slow (answers after the seconds its request names);
                         with FAIL_UNARY=1 in the environment Unary fails UNAVAILABLE too (a bad replica)
  call TARGET AUTHORITY  calls every kind once through TARGET with :authority AUTHORITY and prints
                         one JSON line with what came back (and the status of Unavailable); with
                         GRPC_VIA_PROXY=1 grpcio tunnels to TARGET through http_proxy (CONNECT).
  deadline HOST PORT AUTHORITY TIMEOUT   one call to Slow (2 s) with `grpc-timeout: TIMEOUT`, written
                         with the h2 package (grpcio would enforce the deadline itself); prints the
                         HTTP status and the grpc-status and grpc-message it got, as JSON.
  load TARGET AUTHORITY COUNT CONCURRENCY   COUNT unary calls, CONCURRENCY in flight (a benchmark's
                         load); one JSON line: calls per second, p50 and p99 latency, failures.
  unary TARGET AUTHORITY COUNT   COUNT unary calls; one JSON line: each answer, or the status
                         name and message of each failure."""
import json
import os
import socket
import sys
import time
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

    def slow(request, context):
        time.sleep(float(request or b"2"))
        return b"%s:slow" % name.encode()

    def unavailable(request, context):
        context.abort(grpc.StatusCode.UNAVAILABLE, f"{name} is unavailable")

    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Unavailable": grpc.unary_unary_rpc_method_handler(unavailable),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_insecure_port(f"{host}:{port}")
    server.start()
    print(f"serving {SERVICE} on {host}:{port}", flush=True)
    server.wait_for_termination()


def call(target, authority):
    # GRPC_VIA_PROXY=1: through http_proxy, as grpcio does by default (a CONNECT tunnel per channel).
    options = [("grpc.default_authority", authority), ("grpc.enable_http_proxy", 1 if os.environ.get("GRPC_VIA_PROXY") == "1" else 0)]
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


def deadline(host, port, authority, timeout):
    import h2.config
    import h2.connection
    import h2.events
    sock = socket.create_connection((host, port), timeout=10)
    connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    connection.initiate_connection()
    stream = connection.get_next_available_stream_id()
    connection.send_headers(stream, [(":method", "POST"), (":scheme", "http"), (":authority", authority), (":path", f"/{SERVICE}/Slow"),
                                     ("content-type", "application/grpc"), ("te", "trailers"), ("grpc-timeout", timeout)])
    connection.send_data(stream, b"\x00\x00\x00\x00\x01" + b"2", end_stream=True)
    sock.sendall(connection.data_to_send())
    result = {}
    while "ended" not in result:
        data = sock.recv(65536)
        if not data:
            break
        for event in connection.receive_data(data):
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                for name, value in event.headers:
                    result[name.decode()] = value.decode()
            elif isinstance(event, h2.events.StreamEnded):
                result["ended"] = True
            elif isinstance(event, h2.events.StreamReset):
                result["reset"] = event.error_code
                result["ended"] = True
        sock.sendall(connection.data_to_send())
    print(json.dumps(result))


def load(target, authority, count, concurrency):
    import threading
    options = [("grpc.default_authority", authority), ("grpc.enable_http_proxy", 1 if os.environ.get("GRPC_VIA_PROXY") == "1" else 0)]
    latencies, failures = [], [0]
    slots = threading.Semaphore(concurrency)
    lock = threading.Lock()
    with grpc.insecure_channel(target, options=options) as channel:
        unary = channel.unary_unary(f"/{SERVICE}/Unary")
        unary(b"warm", timeout=10)
        started = time.monotonic()
        pending = []
        for index in range(count):
            slots.acquire()
            begun = time.monotonic()
            future = unary.future(b"x" * 64, timeout=10)

            def done(call, begun=begun):
                with lock:
                    if call.exception() is None:
                        latencies.append(time.monotonic() - begun)
                    else:
                        failures[0] += 1
                slots.release()
            future.add_done_callback(done)
            pending.append(future)
        for future in pending:
            try:
                future.result()
            except grpc.RpcError:
                pass
        elapsed = time.monotonic() - started
    latencies.sort()
    def percentile(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 3) if latencies else None
    print(json.dumps({"calls": count, "rps": round(count / elapsed, 1), "p50_ms": percentile(0.5), "p99_ms": percentile(0.99), "failures": failures[0]}))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "deadline":
        deadline(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "load":
        load(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "unary":
        unary_calls(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        call(sys.argv[2], sys.argv[3])
