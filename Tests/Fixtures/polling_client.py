#!/usr/bin/env python3
"""Polls URL through the sidecar ($HTTP_PROXY) for SECONDS, one request after another on one
keep-alive connection where the proxy allows, and prints one JSON line: how many requests, and
the failures by kind. Usage: polling_client.py URL SECONDS"""
import http.client
import json
import os
import sys
import time
import urllib.parse


def main():
    url, seconds = sys.argv[1], float(sys.argv[2])
    proxy = urllib.parse.urlparse(os.environ["HTTP_PROXY"])
    requests, failures = 0, {}
    connection = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=10)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        requests += 1
        try:
            connection.request("GET", url)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures[str(response.status)] = failures.get(str(response.status), 0) + 1
        except Exception as error:  # a dropped connection is a failure too
            failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
            connection.close()
            connection = http.client.HTTPConnection(proxy.hostname, proxy.port, timeout=10)
    print(json.dumps({"requests": requests, "failures": failures}))


if __name__ == "__main__":
    main()
