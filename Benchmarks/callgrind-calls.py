#!/usr/bin/env python3
"""What a callgrind dump of N requests says beyond its instruction total.

    callgrind-calls.py DUMP REQUESTS [LINK-ORDER-FILE]

Prints one line: allocations per request (calls to malloc and its kin) and reference-count operations
per request (swift_retain / swift_release and their _n forms: each an atomic read-modify-write, which
costs more cycles than its ~20 instructions show). With LINK-ORDER-FILE (scripts/weft-link-order.txt),
then lists the functions the requests ran at least once a request that the file does not name: the
linker puts those after the ordered hot code, megabytes away, and a request that jumps out to them
and back pays in instruction-cache and TLB misses that the instruction count does not show (issue 19,
stop 46: ~10 % CPU a request for a few such functions).
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from callgrind_dump import call_edges  # noqa: E402
from lld_map import thinlto_base  # noqa: E402

ALLOCATORS = {"malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc", "memalign"}
REFCOUNTS = {"swift_retain", "swift_release", "swift_retain_n", "swift_release_n"}
# Names the order file can hold and a dump shows as the linker knows them: Swift's (valgrind leaves them
# mangled), the project's C (CWeftBytes) and BoringSSL's; C++ names come demangled, libc's sit in the linker script.
ORDERABLE = re.compile(r"^(\$s|weft_|CNIOBoringSSL_)")


def main() -> None:
    dump, requests = sys.argv[1], int(sys.argv[2])
    ordered = set()
    if len(sys.argv) > 3:
        ordered = {line.strip() for line in open(sys.argv[3]) if line.strip()}
    allocations = refcounts = 0
    entered: dict[str, int] = {}  # function -> times called
    for caller, callee, calls in call_edges(dump):
        if callee in ALLOCATORS:
            allocations += calls
        elif callee in REFCOUNTS and caller not in REFCOUNTS:
            refcounts += calls
        entered[callee] = entered.get(callee, 0) + calls
    print(f"{allocations / requests:.1f} {refcounts / requests:.0f}")
    if ordered:
        missing = sorted(((count, name) for name, count in entered.items()
                          if count >= requests and ORDERABLE.match(name) and thinlto_base(name) not in ordered), reverse=True)
        for count, name in missing:
            print(f"   outside the link order, {count / requests:.1f} calls a request: {name}")


if __name__ == "__main__":
    main()
