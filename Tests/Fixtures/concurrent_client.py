#!/usr/bin/env python3
"""Load client for circuit-breaking tests (fortio's job in the istio.io task): CONCURRENCY threads
send COUNT requests in all to URL through $HTTP_PROXY, then it prints one JSON line: answers by
status, and the sidecar's stats lines that contain FILTER (read from its admin port).
Usage: concurrent_client.py URL CONCURRENCY COUNT [FILTER]"""
import json
import os
import sys
import threading
import urllib.error
import urllib.request


def main():
    url, concurrency, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    wanted = sys.argv[4] if len(sys.argv) > 4 else None
    statuses, lock = {}, threading.Lock()
    remaining = [count]
    start = threading.Barrier(concurrency)

    def worker():
        start.wait()
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            try:
                with urllib.request.urlopen(url, timeout=20) as response:
                    response.read()
                    code = str(response.status)
            except urllib.error.HTTPError as error:
                code = str(error.code)
            except Exception as error:
                code = type(error).__name__
            with lock:
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = []
    if wanted and os.environ.get("WEFT_POD_IP"):
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        text = direct.open("http://%s:15000/stats" % os.environ["WEFT_POD_IP"], timeout=5).read().decode()
        stats = [line for line in text.splitlines() if wanted in line]
    print(json.dumps({"statuses": statuses, "stats": stats}))


if __name__ == "__main__":
    main()
