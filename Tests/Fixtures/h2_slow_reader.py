"""One HTTP/2 connection, two streams, one reader that stops: flow control end to end.

h2_slow_reader.py HOST PORT AUTHORITY BIG_PATH SMALL_PATH SENT_PATH ADMIN [ADMIN ...]

On an h2c connection to HOST:PORT (a sidecar's outbound listener) asks for BIG_PATH on stream 1
and SMALL_PATH on stream 3. Stream 1's window is never opened (the connection's is, so only that
stream stops); stream 3 is read whole. Once stream 3 has ended and the upstream app's count of
bytes written for BIG_PATH (SENT_PATH, asked on further streams) holds still, it reads each ADMIN
address's /memory (the proxies'), then opens stream 1's window and reads it to the end. Prints one
JSON line: bytes read of each stream at each point, the app's count, the proxies' memory before
and while stalled.
"""
import json
import socket
import sys
import time
import urllib.request

import h2.config
import h2.connection
import h2.events

host, port, authority, big, small, sent_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
admins = sys.argv[7:]


def memory():
    return [int(json.loads(urllib.request.urlopen(f"http://{admin}/memory", timeout=10).read())["total_physical_bytes"]) for admin in admins]


sock = socket.create_connection((host, port), timeout=20)
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
conn.initiate_connection()
received = {}
ended = set()
bodies = {}
stalled_bytes = 0  # stream 1's bytes not yet acknowledged


def request(stream_id, path):
    conn.send_headers(stream_id, [(":method", "GET"), (":path", path), (":scheme", "http"), (":authority", authority)], end_stream=True)
    sock.sendall(conn.data_to_send())


def pump(until, deadline):
    global stalled_bytes
    while not until():
        if time.time() > deadline:
            raise SystemExit(json.dumps({"error": "timed out", "received": received, "ended": sorted(ended)}))
        data = sock.recv(65536)
        if not data:
            raise SystemExit(json.dumps({"error": "connection closed", "received": received}))
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                received[event.stream_id] = received.get(event.stream_id, 0) + len(event.data)
                bodies.setdefault(event.stream_id, b"")
                if event.stream_id != 1:
                    bodies[event.stream_id] += event.data
                if event.stream_id == 1 and not resumed:
                    # The connection's window opens again; stream 1's stays shut.
                    stalled_bytes += event.flow_controlled_length
                    conn.increment_flow_control_window(event.flow_controlled_length)
                else:
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
        outgoing = conn.data_to_send()
        if outgoing:
            sock.sendall(outgoing)


resumed = False
memory_before = memory()
request(1, big)
request(3, small)
pump(lambda: 3 in ended, time.time() + 20)
result = {"small": received.get(3, 0), "big_when_small_ended": received.get(1, 0)}

# Wait (bounded) for the app's count to hold still: the stalled stream has filled whatever buffers it can.
next_stream, last, sent = 5, -1, 0
deadline = time.time() + 15
while time.time() < deadline:
    request(next_stream, sent_path)
    stream = next_stream
    pump(lambda: stream in ended, deadline + 5)
    sent = json.loads(bodies[stream])["sent"]
    next_stream += 2
    if sent == last:
        break
    last = sent
    time.sleep(0.3)
result["app_sent_while_stalled"] = sent
result["big_while_stalled"] = received.get(1, 0)
result["memory_before"] = memory_before
result["memory_stalled"] = memory()

resumed = True
conn.increment_flow_control_window(stalled_bytes, stream_id=1)
sock.sendall(conn.data_to_send())
pump(lambda: 1 in ended, time.time() + 120)
result["big_total"] = received.get(1, 0)
print(json.dumps(result), flush=True)
