#!/usr/bin/env python3
"""Bookinfo test client: a browser-like session (cookie jar, redirects, no proxy) that loads the
productpage COUNT times through the gateway and prints one JSON line describing what it saw.
Usage: bookinfo_browser.py BASE_URL COUNT [--login USER]"""
import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def main():
    base, count = sys.argv[1].rstrip("/"), int(sys.argv[2])
    user = sys.argv[sys.argv.index("--login") + 1] if "--login" in sys.argv else None
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    if user:
        form = urllib.parse.urlencode({"username": user, "passwd": "password"}).encode()
        opener.open(base + "/login", data=form, timeout=20).read()
    seen = {"stars": {}, "served_by": {}, "failures": {}, "titles": [], "signed_in_as": None,
            "details_error": 0, "reviews_error": 0, "ratings_error": 0, "seconds": []}
    for _ in range(count):
        started = time.monotonic()
        try:
            with opener.open(base + "/productpage", timeout=20) as response:
                page = response.read().decode()
            seen["seconds"].append(round(time.monotonic() - started, 3))
        except urllib.error.HTTPError as error:
            seen["failures"][str(error.code)] = seen["failures"].get(str(error.code), 0) + 1
            continue
        colors = set(re.findall(r'<font color="(\w+)">', page))
        key = ",".join(sorted(colors)) or "none"
        seen["stars"][key] = seen["stars"].get(key, 0) + 1
        served = re.search(r"Reviews served by:</dt>\s*<u>([^<]*)</u>", page)
        name = re.sub(r"-[a-z0-9]{5}$", "", served.group(1)) if served else "-"
        seen["served_by"][name] = seen["served_by"].get(name, 0) + 1
        title = re.search(r"<title>(.*?)</title>", page)
        if title and title.group(1) not in seen["titles"]:
            seen["titles"].append(title.group(1))
        signed = re.search(r"Signed in as <b>([^<]*)</b>", page)
        seen["signed_in_as"] = signed.group(1) if signed else None
        seen["details_error"] += "Error fetching product details" in page
        seen["reviews_error"] += "Error fetching product reviews" in page
        seen["ratings_error"] += "Ratings service is currently unavailable" in page
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
