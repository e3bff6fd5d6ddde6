"""Prints the function symbols callgrind saw run in one object, each once, in dump order.

Usage: callgrind-functions.py OBJECT_PATH_SUFFIX CALLGRIND_OUT...
Callgrind names objects and functions once and refers to them by number after that
("fn=(12) name", then "fn=(12)"); both forms are read.
"""
import re
import sys

suffix, dumps = sys.argv[1], sys.argv[2:]
seen, order = set(), []
for dump in dumps:
    objects, functions, current = {}, {}, None
    for line in open(dump, errors="replace"):
        m = re.match(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if not m:
            continue
        kind, ident, name = m.group(1), int(m.group(2)), m.group(3)
        table = objects if kind.endswith("ob") else functions
        if name is not None:
            table[ident] = name
        if kind == "ob":
            current = ident
        elif kind == "fn" and objects.get(current, "").endswith(suffix):
            # A recursion depth ("'2") is callgrind's, not the symbol's; "0x…" has no symbol.
            symbol = re.sub(r"'\d+$", "", functions[ident])
            if symbol not in seen and not symbol.startswith("0x"):
                seen.add(symbol)
                order.append(symbol)
print("\n".join(order))
