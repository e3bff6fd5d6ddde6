#!/usr/bin/env python3
"""The link order rewritten for a ThinLTO link: each ordered name as the LTO build named it.

ThinLTO renames a module-local function it imports into another module (`NAME.llvm.HASH`, the hash
taken from the module's contents, so it changes with the code) and names clones it makes
(`NAME.llvm.HASH.N`...). lld's --symbol-ordering-file and a linker script match whole names, so
after a first link this reads its map and writes the order and the script again with each name
that the map shows only under such a name replaced by that name (every one, when there are several).
Names the map shows as they are stay as they are. The second link (from the ThinLTO cache: no code
is generated again) then lays the code out as the order says.

usage: link-order-thinlto.py MAP ORDER_IN SCRIPT_IN ORDER_OUT SCRIPT_OUT
"""
import re
import sys
from collections import defaultdict

from lld_map import entries, thinlto_base


def main() -> int:
    map_path, order_in, script_in, order_out, script_out = sys.argv[1:6]
    present, renamed = set(), defaultdict(list)
    for entry in entries(map_path):
        if entry.kind != "symbol":
            continue
        present.add(entry.name)
        base = thinlto_base(entry.name)
        if base != entry.name:
            renamed[base].append(entry.name)

    def names(name: str) -> list[str]:
        if name in present or name not in renamed:
            return [name]
        return renamed[name]

    rewritten = 0
    with open(order_out, "w") as out:
        for line in open(order_in):
            name = line.strip()
            found = names(name) if name else [line.rstrip("\n")]
            rewritten += found != [name]
            out.write("".join(f"{each}\n" for each in found))
    # A script line names an input section: *(".text.NAME")
    section = re.compile(r'^(\s*\*\(")\.text\.(.*)("\)\s*)$')
    with open(script_out, "w") as out:
        for line in open(script_in):
            m = section.match(line.rstrip("\n"))
            if not m:
                out.write(line)
                continue
            for each in names(m.group(2)):
                out.write(f"{m.group(1)}.text.{each}{m.group(3)}\n")
    print(f"thinlto order: {rewritten} ordered names found only as ThinLTO renamed them", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
