#!/usr/bin/env python3
"""A tiny authoritative DNS server for tests (UDP, A records only), standing in for the
cluster's resolver: dns_server.py RECORDS_FILE [TTL]
RECORDS_FILE is JSON, read again for every query: {"edition.cnn.com": "127.0.50.3", ...}; a list
of addresses is answered with one A record each, in its order; a name mapped to "servfail" is answered SERVFAIL, "silent" not at all; others get NXDOMAIN.
Binds 127.0.0.1 on a free port and prints it. Each query is appended to RECORDS_FILE.log."""
import json
import socket
import struct
import sys

records_file = sys.argv[1]
ttl = int(sys.argv[2]) if len(sys.argv) > 2 else 1
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
print(sock.getsockname()[1], flush=True)


def read_name(data, offset):
    labels = []
    while data[offset] != 0:
        length = data[offset]
        labels.append(data[offset + 1:offset + 1 + length].decode())
        offset += 1 + length
    return ".".join(labels).lower(), offset + 1


while True:
    data, peer = sock.recvfrom(512)
    try:
        ident, flags, qdcount = struct.unpack("!HHH", data[:6])
        name, end = read_name(data, 12)
        question = data[12:end + 4]
        with open(records_file) as f:
            records = json.load(f)
        with open(records_file + ".log", "a") as log:
            log.write(name + "\n")
        value = records.get(name)
        if value == "silent":
            continue
        if value is None or value == "servfail":
            rcode = 3 if value is None else 2
            sock.sendto(struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, 0, 0, 0) + question, peer)
            continue
        addresses = value if isinstance(value, list) else [value]
        answers = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, ttl, 4) + socket.inet_aton(a) for a in addresses)
        sock.sendto(struct.pack("!HHHHHH", ident, 0x8180, 1, len(addresses), 0, 0) + question + answers, peer)
    except Exception as error:  # a malformed query is dropped
        print("dns_server:", error, file=sys.stderr, flush=True)
