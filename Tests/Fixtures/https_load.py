#!/usr/bin/env python3
"""HTTPS load on a gateway while something changes under it: for SECONDS, one thread polls on one
keep-alive connection and two threads open a new connection per request, all to https://NAME:PORT/
at ADDRESS, trusting CAFILE. Prints one JSON line: requests, failures by kind, and how many new
connections saw each issuer (the certificate's CA common name).
Usage: https_load.py NAME PORT ADDRESS CAFILE SECONDS"""
import http.client
import json
import socket
import ssl
import sys
import threading
import time

name, port, address, cafile, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
context = ssl.create_default_context(cafile=cafile)
lock = threading.Lock()
report = {"requests": 0, "failures": {}, "issuers": {}}
deadline = time.monotonic() + seconds


def connect():
    raw = socket.create_connection((address, port), timeout=10)
    connection = http.client.HTTPSConnection(name, port, context=context, timeout=10)
    connection.sock = context.wrap_socket(raw, server_hostname=name)
    issuer = dict(pair[0] for pair in connection.sock.getpeercert()["issuer"]).get("commonName", "?")
    return connection, issuer


def count(key, value):
    with lock:
        report[key][value] = report[key].get(value, 0) + 1


def get(connection):
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    with lock:
        report["requests"] += 1
    if response.status != 200:
        count("failures", str(response.status))


def keep_alive():
    connection = None
    while time.monotonic() < deadline:
        try:
            if connection is None:
                connection, issuer = connect()
                count("issuers", issuer)
            get(connection)
        except Exception as error:
            count("failures", type(error).__name__)
            connection = None


def fresh():
    while time.monotonic() < deadline:
        try:
            connection, issuer = connect()
            count("issuers", issuer)
            get(connection)
            connection.close()
        except Exception as error:
            count("failures", type(error).__name__)


threads = [threading.Thread(target=keep_alive)] + [threading.Thread(target=fresh) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(report))
