#!/usr/bin/env python3
"""Mesh test client: sends COUNT requests to URL through the sidecar ($HTTP_PROXY, which urllib
honours) and prints one JSON line: how many answers came from each workload, and the failures.
Usage: mesh_client.py URL COUNT [HEADER=VALUE ...]"""
import json
import sys
import urllib.error
import urllib.request


def main():
    url, count = sys.argv[1], int(sys.argv[2])
    headers = dict(arg.split("=", 1) for arg in sys.argv[3:])
    names, failures = {}, {}
    for _ in range(count):
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                name = json.loads(response.read()).get("name", "?")
                names[name] = names.get(name, 0) + 1
        except urllib.error.HTTPError as error:
            failures[str(error.code)] = failures.get(str(error.code), 0) + 1
        except Exception as error:  # connection errors count as failures too
            failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
    print(json.dumps({"names": names, "failures": failures}))


if __name__ == "__main__":
    main()
