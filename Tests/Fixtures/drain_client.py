"""Clients of a proxy that is about to drain: what each sees once the proxy is told to stop.

drain_client.py HOST PORT AUTHORITY SLOW_PATH

Opens three connections to HOST:PORT (a sidecar's outbound listener) and, on each, asks for
http://AUTHORITY/...: an HTTP/2 (prior knowledge) stream for SLOW_PATH, an HTTP/1.1 request for
SLOW_PATH, and an HTTP/1.1 request for / whose keep-alive connection is then left idle. Prints
"ready" once all three are sent (the test then stops the proxy), then one JSON line: the GOAWAY
frames seen (error code, last stream), each answer's status and Connection header, and whether
each connection was closed by the proxy, within 20 s.
"""
import json
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

host, port, authority, slow = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def connect():
    return socket.create_connection((host, port), timeout=10)


# HTTP/2: one slow stream.
h2_socket = connect()
h2_conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
h2_conn.initiate_connection()
h2_conn.send_headers(1, [(":method", "GET"), (":path", slow), (":scheme", "http"), (":authority", authority)], end_stream=True)
h2_socket.sendall(h2_conn.data_to_send())

# HTTP/1.1: one slow request in flight, and one connection left idle after an answer.
busy = connect()
busy.sendall(f"GET http://{authority}{slow} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
idle = connect()
idle.sendall(f"GET http://{authority}/ HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
first = b""
while b"\r\n\r\n" not in first:
    first += idle.recv(65536)
head, _, rest = first.partition(b"\r\n\r\n")
length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
while len(rest) < length:
    rest += idle.recv(65536)

print("ready", flush=True)

result = {"goaway": [], "h2_status": None, "h2_ended": False, "h2_closed": False,
          "busy_status": None, "busy_connection": None, "busy_closed": False, "idle_closed": False}
busy_bytes = b""
h2_buffer = b""
open_sockets = {h2_socket: "h2", busy: "busy", idle: "idle"}
deadline = time.time() + 20
while open_sockets and time.time() < deadline:
    readable, _, _ = select.select(list(open_sockets), [], [], 0.5)
    for sock in readable:
        name = open_sockets[sock]
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            result[name + "_closed"] = True
            del open_sockets[sock]
            continue
        if name == "h2":
            # GOAWAY frames are read here: h2 takes the connection as closed after one and would
            # refuse the frames of the streams the proxy still finishes.
            h2_buffer += data
            passed = b""
            while len(h2_buffer) >= 9:
                length = int.from_bytes(h2_buffer[:3], "big")
                if len(h2_buffer) < 9 + length:
                    break
                frame, h2_buffer = h2_buffer[:9 + length], h2_buffer[9 + length:]
                if frame[3] == 0x7:
                    result["goaway"].append([int.from_bytes(frame[13:17], "big"), int.from_bytes(frame[9:13], "big") & 0x7FFFFFFF])
                else:
                    passed += frame
            for event in h2_conn.receive_data(passed):
                if isinstance(event, h2.events.ResponseReceived):
                    result["h2_status"] = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived):
                    h2_conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    result["h2_ended"] = True
            outgoing = h2_conn.data_to_send()
            if outgoing:
                sock.sendall(outgoing)
        elif name == "busy":
            busy_bytes += data
            if result["busy_status"] is None and b"\r\n\r\n" in busy_bytes:
                lines = busy_bytes.split(b"\r\n\r\n")[0].split(b"\r\n")
                result["busy_status"] = int(lines[0].split()[1])
                for line in lines[1:]:
                    if line.lower().startswith(b"connection:"):
                        result["busy_connection"] = line.split(b":", 1)[1].strip().decode()
print(json.dumps(result), flush=True)
