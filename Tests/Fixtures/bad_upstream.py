#!/usr/bin/env python3
"""Upstreams that misbehave, for the proxy's bad-input answers.
Usage: bad_upstream.py ADDRESS GARBAGE_PORT RESET_PORT
GARBAGE_PORT answers every request with bytes that are not HTTP; RESET_PORT reads the request and
resets the connection without answering. Prints "ready" once both listen."""
import socket
import struct
import sys
import threading


def serve(listener, handle):
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=handle, args=(connection,), daemon=True).start()


def garbage(connection):
    connection.recv(65536)
    connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\nthis is not HTTP\r\n\r\n")
    connection.close()


def reset(connection):
    connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def main():
    address, garbage_port, reset_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    listeners = []
    for port, handle in ((garbage_port, garbage), (reset_port, reset)):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(16)
        listeners.append((listener, handle))
    for listener, handle in listeners:
        threading.Thread(target=serve, args=(listener, handle), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
