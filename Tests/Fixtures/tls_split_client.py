#!/usr/bin/env python3
"""A TLS client whose ClientHello arrives in pieces: tls_split_client.py HOST PORT SNI CA
sends the hello 7 bytes per TCP segment (TCP_NODELAY, a pause between them), finishes the handshake
checking the server's certificate against CA for SNI, sends one GET and prints the answer's body."""
import socket
import ssl
import sys
import time


def main():
    host, port, sni, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    context = ssl.create_default_context(cafile=ca)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=sni)
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    first = True
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if first:
                for start in range(0, len(pending), 7):
                    sock.sendall(pending[start:start + 7])
                    time.sleep(0.002)
                first = False
            elif pending:
                sock.sendall(pending)
            data = sock.recv(65536)
            if not data:
                print("closed during the handshake")
                return
            incoming.write(data)
    sock.sendall(outgoing.read())
    tls.write(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
    sock.sendall(outgoing.read())
    answer = b""
    while True:
        try:
            answer += tls.read(65536)
        except ssl.SSLWantReadError:
            data = sock.recv(65536)
            if not data:
                break
            incoming.write(data)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
    print(answer.decode(errors="replace").split("\r\n\r\n", 1)[-1].strip())


if __name__ == "__main__":
    main()
