"""A Redis client that reaches its server through an HTTP proxy's CONNECT tunnel, as clients
that honour HTTPS_PROXY do: CONNECT host:port, then RESP on the tunnel. Sets a small and a large
value (the large one crosses many reads, so backpressure and ordering matter), reads them back,
and prints one JSON line: {"connect": status, "small": ok, "large": ok, "ping": reply}."""
import json
import socket
import sys


def read_line(stream):
    line = stream.readline()
    if not line:
        raise ConnectionError("closed")
    return line


def reply(stream):
    line = read_line(stream)
    kind, rest = line[:1], line[1:-2]
    if kind in (b"+", b"-", b":"):
        return rest.decode()
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = stream.read(length + 2)
        return data[:-2]
    raise ValueError(f"unexpected reply {line!r}")


def command(sock, stream, *parts):
    encoded = b"*%d\r\n" % len(parts)
    for part in parts:
        part = part if isinstance(part, bytes) else str(part).encode()
        encoded += b"$%d\r\n%s\r\n" % (len(part), part)
    sock.sendall(encoded)
    return reply(stream)


def main():
    proxy_host, proxy_port = sys.argv[1].rsplit(":", 1)
    target = sys.argv[2]
    sock = socket.create_connection((proxy_host, int(proxy_port)), timeout=10)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    stream = sock.makefile("rb")
    status_line = read_line(stream).decode()
    status = int(status_line.split()[1])
    while read_line(stream) not in (b"\r\n", b"\n"):
        pass
    result = {"connect": status}
    if status == 200:
        result["ping"] = command(sock, stream, "PING")
        result["small"] = command(sock, stream, "SET", "weft:small", "hello") == "OK" and command(sock, stream, "GET", "weft:small") == b"hello"
        large = bytes(range(256)) * 4096  # 1 MiB
        result["large"] = command(sock, stream, "SET", "weft:large", large) == "OK" and command(sock, stream, "GET", "weft:large") == large
    sock.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
