#!/usr/bin/env python3
"""Packs the functions a request runs together in the link order, in call order.

    scripts/link-order-hot-first.py BINARY REQUESTS DUMP... > new-order.txt   (reorders scripts/weft-link-order.txt)

DUMPs are callgrind dumps of REQUESTS requests each (`KEEP=DIR Benchmarks/instructions.sh`, with
`SIDE=server` too: the client's and the server's sidecar, plaintext and mutual TLS). Every function
those requests entered at least once a request is hot. generate-link-order.sh orders what an idle
sidecar touches first and the request path after it, so a request's ~150 KB of code lay spread over
~150 pages across 4 MB (the functions an idle sidecar also runs, like the event loop's and the
runtime's, sit in the idle part); packed together they take ~50. Within the hot set the order is a
walk of the call graph from the event loop down, heaviest call first, so a caller and what it calls
are neighbours. Everything else keeps its place.
The dumps name C++ functions demangled (valgrind's default); the binary's symbol table maps them back.
The Swift standard library's code is one 1.6 MB input section (libswiftCore.a is built without
function sections), so naming one of its functions places all of it: here it lands inside the packed
set. Keeping its functions out of the set, so that it follows instead, measured worse (stop 47:
+5-9 % CPU a plaintext request, mixed with mutual TLS).
"""
import collections
import os
import subprocess
import sys

from callgrind_dump import call_edges
from lld_map import thinlto_base

ORDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weft-link-order.txt")


def read_dump(path, requests, calls, edges):
    for caller, callee, count in call_edges(path):
        calls[callee] += count / requests
        if caller:
            edges[caller][callee] += count / requests


def main():
    binary, requests, dumps = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    calls, edges = collections.Counter(), collections.defaultdict(collections.Counter)
    for dump in dumps:
        read_dump(dump, requests, calls, edges)
    # Demangled C++ name -> its symbol: `nm` and `nm -C` list the same symbols in the same order.
    raw = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout.splitlines()
    readable = subprocess.run(["nm", "-C", binary], capture_output=True, text=True, check=True).stdout.splitlines()
    defined, symbol_of = set(), {}
    for mangled, shown in zip(raw, readable):
        parts = mangled.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            defined.add(parts[2])
            symbol_of.setdefault(shown.split(" ", 2)[2], parts[2])
    def symbol(name):
        return name if name in defined else symbol_of.get(name)
    hot = {name for name, count in calls.items() if count >= 1 and symbol(name)}
    # Walk from the roots (hot functions no hot function calls), heaviest edge first.
    called = {callee for caller in hot for callee in edges[caller] if callee in hot and callee != caller}
    roots = sorted((name for name in hot if name not in called), key=lambda name: -calls[name])
    placed, walk = set(), []
    def visit(name):
        stack = [name]
        while stack:
            current = stack.pop()
            if current in placed:
                continue
            placed.add(current)
            walk.append(current)
            for callee, _ in sorted(edges[current].items(), key=lambda item: item[1]):
                if callee in hot and callee not in placed:
                    stack.append(callee)
    for root in roots:
        visit(root)
    for name in sorted(hot - placed, key=lambda name: -calls[name]):
        visit(name)
    # Named as the committed order names them: a ThinLTO build's suffixes are resolved per build.
    packed = list(dict.fromkeys(thinlto_base(symbol(name)) for name in walk if symbol(name)))
    seen = set(packed)
    order = [line.strip() for line in open(ORDER) if line.strip()]
    # The packed set goes where the order's request part begins (the first run of 20 names of which
    # half or more are hot): what an idle sidecar runs stays in one piece before it, and the hot
    # functions it also runs (the event loop's, the runtime's) join the end of that piece.
    start = next((i for i in range(len(order)) if sum(name in seen for name in order[i:i + 20]) >= 10), len(order))
    before = [name for name in order[:start] if name not in seen]
    after = [name for name in order[start:] if name not in seen]
    print("\n".join(before + packed + after))
    print(f"{len(before)} functions, then {len(packed)} hot ones packed, then {len(after)}", file=sys.stderr)


if __name__ == "__main__":
    main()
