#!/usr/bin/env python3
"""Sends N HTTP/1.1 requests in one write (pipelining) to a proxy, the earlier ones slower, and
prints the paths of the answers in the order they came back, one per line.
Usage: pipelined_client.py PROXY_HOST:PORT URL_PREFIX N"""
import json
import socket
import sys


def main():
    host, port = sys.argv[1].split(":")
    prefix, count = sys.argv[2], int(sys.argv[3])
    authority = prefix.split("/")[2]
    requests = b"".join(
        ("GET %s/delay/0.%d/n%d HTTP/1.1\r\nHost: %s\r\n\r\n" % (prefix, count - i, i, authority)).encode() for i in range(count))
    connection = socket.create_connection((host, int(port)), timeout=15)
    connection.sendall(requests)
    reader = connection.makefile("rb")
    for _ in range(count):
        status = reader.readline()
        length = 0
        while True:
            line = reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = reader.read(length)
        print(status.split()[1].decode(), json.loads(body)["path"])


if __name__ == "__main__":
    main()
