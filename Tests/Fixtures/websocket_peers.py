#!/usr/bin/env python3
"""WebSocket peers for mesh tests, with the `websockets` package from PyPI.
  websocket_peers.py server PORT
      an echo server on WEFT_APP_ADDRESS (or 127.0.0.1); each message comes back as it was sent,
      prefixed with APP_NAME for text messages ("NAME:text").
  websocket_peers.py client HOST PORT AUTHORITY COUNT
      connects to HOST:PORT (a sidecar listener) asking for ws://AUTHORITY/echo, sends COUNT
      messages (text, and every tenth a binary one of up to 100 KB), checks each echo, then one
      close handshake; prints a JSON report.
  websocket_peers.py h2client HOST PORT AUTHORITY COUNT
      the same over HTTP/2 (RFC 8441): on an h2c connection, an extended CONNECT (:protocol
      websocket) for AUTHORITY/echo, then COUNT text messages as masked frames in DATA, each echo
      checked, and the close handshake; reports whether the server offered
      SETTINGS_ENABLE_CONNECT_PROTOCOL and the status it answered.
  websocket_peers.py h2server PORT
      an echo server that speaks only HTTP/2 (h2c, the h2 package): it offers
      SETTINGS_ENABLE_CONNECT_PROTOCOL and takes WebSockets as extended CONNECT (RFC 8441) streams,
      echoing as the server mode does (websockets' sans-I/O protocol over the stream's DATA); any
      other request is answered 200 "h2 only".
  websocket_peers.py garbage HOST PORT AUTHORITY
      a handshake by hand, then bytes that are no WebSocket frame: reports the status line and
      the first byte the server sent back (0x88, a close frame, if the garbage reached it)."""
import json
import os
import socket
import sys


def serve(port):
    from websockets.sync.server import serve as ws_serve
    name = os.environ.get("APP_NAME", "app")

    def echo(connection):
        for message in connection:
            connection.send(f"{name}:{message}" if isinstance(message, str) else message)

    address = os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1")
    with ws_serve(echo, address, port, max_size=None) as server:
        server.serve_forever()


def client(host, port, authority, count):
    from websockets.sync.client import connect
    report = {"sent": 0, "echoed": 0, "mismatched": 0, "server": None, "error": None}
    try:
        sock = socket.create_connection((host, port), timeout=10)
        with connect(f"ws://{authority}/echo", sock=sock, max_size=None, open_timeout=10, close_timeout=5) as ws:
            for i in range(count):
                if i % 10 == 9:
                    payload = bytes([i % 251]) * (1000 * (i % 100 + 1))
                    ws.send(payload)
                    answer = ws.recv(timeout=10)
                    ok = answer == payload
                else:
                    payload = f"message {i}"
                    ws.send(payload)
                    answer = ws.recv(timeout=10)
                    server, _, text = answer.partition(":")
                    report["server"] = server
                    ok = text == payload
                report["sent"] += 1
                report["echoed"] += 1 if ok else 0
                report["mismatched"] += 0 if ok else 1
    except Exception as error:  # the report says what went wrong
        report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report))


def frame(opcode, payload):
    """A client's WebSocket frame: final, masked (RFC 6455 5.2)."""
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x80 | opcode])
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 65536:
        header += bytes([0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + length.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_frame(buffer):
    """(opcode, payload, rest) of the first whole unmasked frame in buffer, or None."""
    if len(buffer) < 2:
        return None
    length, offset = buffer[1] & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(buffer[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(buffer[2:10], "big"), 10
    if len(buffer) < offset + length:
        return None
    return buffer[0] & 0x0F, buffer[offset:offset + length], buffer[offset + length:]


def h2client(host, port, authority, count):
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
    report = {"enable_connect_protocol": None, "status": None, "sent": 0, "echoed": 0, "mismatched": 0,
              "server": None, "close_code": None, "ended": False, "error": None}
    try:
        sock = socket.create_connection((host, port), timeout=10)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        data = b""
        state = {"settings": False}

        def pump():
            nonlocal data
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the proxy")
            for event in conn.receive_data(chunk):
                if isinstance(event, h2.events.RemoteSettingsChanged):
                    state["settings"] = True
                    changed = event.changed_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
                    if changed is not None:
                        report["enable_connect_protocol"] = changed.new_value
                elif isinstance(event, h2.events.ResponseReceived):
                    report["status"] = int(dict(event.headers)[":status"])
                elif isinstance(event, h2.events.DataReceived):
                    data += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    report["ended"] = True
            outgoing = conn.data_to_send()
            if outgoing:
                sock.sendall(outgoing)

        while not state["settings"]:
            pump()
        conn.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/echo"),
                              (":authority", authority), ("sec-websocket-version", "13")])
        sock.sendall(conn.data_to_send())
        while report["status"] is None:
            pump()
        if report["status"] != 200:
            raise ConnectionError(f"status {report['status']}")
        for i in range(count):
            text = f"message {i}"
            conn.send_data(1, frame(0x1, text.encode()))
            sock.sendall(conn.data_to_send())
            while (parsed := read_frame(data)) is None:
                pump()
            opcode, payload, data = parsed
            server, _, echoed = payload.decode().partition(":")
            report["server"] = server
            ok = opcode == 0x1 and echoed == text
            report["sent"] += 1
            report["echoed"] += 1 if ok else 0
            report["mismatched"] += 0 if ok else 1
        # The close handshake as a WebSocket client does it: close, the server's close, then the end
        # of the stream (a TCP client's FIN); the server closing its side ends the stream from there.
        conn.send_data(1, frame(0x8, (1000).to_bytes(2, "big")))
        sock.sendall(conn.data_to_send())
        while (parsed := read_frame(data)) is None:
            pump()
        opcode, payload, data = parsed
        report["close_code"] = int.from_bytes(payload[:2], "big") if opcode == 0x8 else None
        while not report["ended"]:
            pump()
        conn.end_stream(1)
        sock.sendall(conn.data_to_send())
    except Exception as error:  # the report says what went wrong
        report["error"] = f"{type(error).__name__}: {error}"
    print(json.dumps(report))


def h2server(port):
    import threading
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
    from websockets.frames import Opcode
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    name = os.environ.get("APP_NAME", "app")

    def serve_connection(sock):
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.local_settings = h2.settings.Settings(client=False, initial_values={h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL: 1})
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sockets, pending, closing = {}, {}, set()
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                for event in conn.receive_data(chunk):
                    if isinstance(event, h2.events.RequestReceived):
                        headers = dict(event.headers)
                        if headers.get(":method") == "CONNECT" and headers.get(":protocol") == "websocket":
                            sockets[event.stream_id] = ServerProtocol(state=State.OPEN, max_size=None)
                            conn.send_headers(event.stream_id, [(":status", "200")])
                        else:
                            conn.send_headers(event.stream_id, [(":status", "200"), ("content-length", "8")])
                            conn.send_data(event.stream_id, b"h2 only\n", end_stream=True)
                    elif isinstance(event, h2.events.DataReceived):
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                        ws = sockets.get(event.stream_id)
                        if ws is None:
                            continue
                        ws.receive_data(event.data)
                        for message in ws.events_received():
                            if message.opcode == Opcode.TEXT:
                                ws.send_text(f"{name}:{message.data.decode()}".encode())
                            elif message.opcode == Opcode.BINARY:
                                ws.send_binary(message.data)
                        pending[event.stream_id] = pending.get(event.stream_id, b"") + b"".join(ws.data_to_send())
                        if ws.state == State.CLOSED or ws.close_expected():
                            closing.add(event.stream_id)
                            sockets.pop(event.stream_id, None)
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id in sockets:
                        closing.add(event.stream_id)
                        sockets.pop(event.stream_id, None)
                # What flow control lets out now, in frames the peer takes; the rest waits for a WINDOW_UPDATE.
                for stream_id in list(pending):
                    data = pending[stream_id]
                    while data:
                        room = min(conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size)
                        if room <= 0:
                            break
                        conn.send_data(stream_id, data[:room])
                        data = data[room:]
                    pending[stream_id] = data
                    if not data:
                        del pending[stream_id]
                        if stream_id in closing:
                            closing.discard(stream_id)
                            conn.end_stream(stream_id)
                out = conn.data_to_send()
                if out:
                    sock.sendall(out)
        except Exception as error:  # a peer gone mid-frame ends its connection only
            print("h2server:", type(error).__name__, error, file=sys.stderr, flush=True)
        finally:
            sock.close()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1"), port))
    listener.listen(64)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve_connection, args=(sock,), daemon=True).start()


def garbage(host, port, authority):
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall((f"GET /echo HTTP/1.1\r\nHost: {authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                  "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    sock.sendall(b"\xff\x7f" + b"not a frame" * 100)
    try:
        while not rest:
            chunk = sock.recv(4096)
            if not chunk:
                break
            rest += chunk
    except OSError:
        pass
    print(json.dumps({"status": head.split(b"\r\n")[0].decode(errors="replace"), "first_byte": rest[0] if rest else None}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "h2server":
        h2server(int(sys.argv[2]))
    elif sys.argv[1] == "h2client":
        h2client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "garbage":
        garbage(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
