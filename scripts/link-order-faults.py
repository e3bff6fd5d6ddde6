"""Prints the functions and read-only data behind the page faults of a run, one symbol per section.

Usage: link-order-faults.py PERF_SCRIPT_OUTPUT LINKER_MAP BINARY_PATH [SECONDS]

The input is `perf script --show-mmap-events -F time,ip,addr` of a `perf record -e page-faults -c 1 -d`
run. A fault whose address is the faulting instruction is a fetch; the kernel maps the 64 KiB
around it, so one fault stands for a window of code the ordering missed (callgrind does not see
every function). A read of .rodata or .data faults the same way, and the symbol ordering file lays
out data sections too (those of C and C++ objects are one per symbol). Faults after SECONDS
(default 3) from the first are left out: they are shutdown.
"""
import bisect
import collections
import re
import sys

import lld_map

perf_path, map_path, binary = sys.argv[1], sys.argv[2], sys.argv[3]
window = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0

# Input sections of the code and data output sections, with the symbols lld lists under each.
ORDERED = (".text", ".rodata", ".data")
starts, sections = [], []
for entry in lld_map.entries(map_path):
    if not entry.output.startswith(ORDERED) or entry.output.startswith(".data.rel.ro"):
        continue
    if entry.kind == "input":
        starts.append(entry.address)
        sections.append([entry.address + entry.size, []])
    elif entry.kind == "symbol" and sections:
        sections[-1][1].append(entry.name)

defined = collections.Counter(name for _, symbols in sections for name in symbols)
base, first, names = None, None, []
for line in open(perf_path, errors="replace"):
    if "PERF_RECORD_MMAP" in line:
        m = re.search(r"\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*\s(\S+)$", line.strip())
        if m and m.group(4) == binary and int(m.group(3), 16) == 0:
            base = int(m.group(1), 16)
        continue
    fields = line.split()
    try:
        time, address, ip = float(fields[0].rstrip(":")), int(fields[1], 16), int(fields[2], 16)
    except (ValueError, IndexError):
        continue
    first = time if first is None else first
    if base is None or time - first > window:
        continue
    offset = address - base
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset < sections[i][0] and sections[i][1]:
        # One name orders the whole section; a name no other section defines orders only it.
        symbols = sections[i][1]
        names.append(next((s for s in symbols if defined[s] == 1), symbols[0]))
print("\n".join(dict.fromkeys(names)))
