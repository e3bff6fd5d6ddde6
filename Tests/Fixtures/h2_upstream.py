#!/usr/bin/env python3
"""An h2c server (the h2 package) that ends connections the way HTTP/2 servers do, for upstream tests.
  h2_upstream.py PORT MODE   listens on WEFT_APP_ADDRESS (or 127.0.0.1):PORT (0: a free one, printed); MODE is
    serve           answers every request
    goaway-after-N  answers N requests on a connection, then sends GOAWAY (last stream: the Nth) and
                    closes once its streams are done, as nginx's keepalive_requests does
    refuse-odd      answers RST_STREAM REFUSED_STREAM to every odd-numbered request it receives
  Each answer is 200 "conn C req R" (C: the connection's number, R: the request's on the server);
  a path /delay/S is answered S seconds later, other streams served meanwhile."""
import os
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events

lock = threading.Lock()
counters = {"connections": 0, "requests": 0}


def serve(sock, mode):
    with lock:
        counters["connections"] += 1
        number = counters["connections"]
    connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    connection.initiate_connection()
    sock.sendall(connection.data_to_send())
    # Delayed answers are sent from timer threads: the connection and socket are shared.
    sending = threading.Lock()

    def answer_later(stream_id, body):
        with sending:
            try:
                connection.send_headers(stream_id, [(":status", "200"), ("content-length", str(len(body)))])
                connection.send_data(stream_id, body, end_stream=True)
                sock.sendall(connection.data_to_send())
            except Exception:
                pass
    answered = 0
    limit = int(mode.split("-")[-1]) if mode.startswith("goaway-after-") else None
    closing = False
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        sending.acquire()
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                with lock:
                    counters["requests"] += 1
                    request = counters["requests"]
                if mode == "refuse-odd" and request % 2 == 1:
                    connection.reset_stream(event.stream_id, error_code=h2.errors.ErrorCodes.REFUSED_STREAM)
                    continue
                if closing:
                    continue
                body = f"conn {number} req {request}".encode()
                path = dict(event.headers).get(":path", "/")
                if "/delay/" in path:
                    threading.Timer(float(path.split("/delay/")[1].split("/")[0]), answer_later, args=(event.stream_id, body)).start()
                    continue
                connection.send_headers(event.stream_id, [(":status", "200"), ("content-length", str(len(body)))])
                connection.send_data(event.stream_id, body, end_stream=True)
                answered += 1
                if limit is not None and answered >= limit:
                    connection.close_connection(last_stream_id=event.stream_id)
                    closing = True
        sock.sendall(connection.data_to_send())
        sending.release()
        if closing:
            break
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((os.environ.get("WEFT_APP_ADDRESS", "127.0.0.1"), port))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=serve, args=(sock, mode), daemon=True).start()


if __name__ == "__main__":
    main()
