#!/usr/bin/env python3
"""How much of the committed link order still names code in the binary: the share of the order
file's symbols (judged: STALE below the minimum) and of the linker script's sections (reported)
that lld's map shows. A share that falls
means the code moved on and the order is stale (rerun scripts/generate-link-order.sh): the
binary stays correct, but the hot code spreads out again and an idle sidecar holds more memory.

usage: link-order-coverage.py MAP ORDER_FILE LINKER_SCRIPT [MINIMUM_PERCENT]
"""
import re
import sys

from lld_map import entries

STALE_BELOW = 90.0


def main() -> int:
    map_path, order_path, script_path = sys.argv[1:4]
    minimum = float(sys.argv[4]) if len(sys.argv) > 4 else STALE_BELOW
    symbols, sections = set(), set()
    for entry in entries(map_path):
        if entry.kind == "symbol":
            symbols.add(entry.name)
        elif entry.kind == "input":
            # "path/to/object.o:(.text.name)" or "archive.a(member.o):(.text.name)"
            m = re.search(r":\((\.[^)]*)\)$", entry.name)
            if m:
                sections.add(m.group(1))
    ordered = [line.strip() for line in open(order_path) if line.strip()]
    resolved = sum(1 for name in ordered if name in symbols or ".text." + name in sections)
    listed = re.findall(r'\*\("?([^")]+)"?\)', open(script_path).read())
    placed = [name for name in listed if "*" not in name]
    found = sum(1 for name in placed if name in sections)
    share = 100.0 * resolved / max(len(ordered), 1)
    script_share = 100.0 * found / max(len(placed), 1)
    print(f"link order: {resolved} of {len(ordered)} ordered symbols resolved ({share:.1f} %), "
          f"{found} of {len(placed)} script sections ({script_share:.1f} %)", file=sys.stderr)
    # The script's sections are reported, not judged: some it names (aliases many objects
    # define) never appear under that name in the map, so even a fresh order shows below 100 %.
    if share < minimum:
        print(f"link order: STALE (below {minimum:.0f} %): rerun scripts/generate-link-order.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
