"""Reads a callgrind dump's call edges: who called whom how many times while the counters ran.

callgrind names each function once (`fn=(id) name`, later `fn=(id)`); a `calls=N` line after a
`cfn=` says the current function called that one N times. Names lose callgrind's `'2` recursion
suffixes. The link-order and benchmark scripts share this reader.
"""
import re
from typing import Iterator, Tuple

NAME = re.compile(r"c?fn=\((\d+)\)(?: (.*))?")


def call_edges(path: str) -> Iterator[Tuple[str, str, int]]:
    """Yields (caller, callee, calls) for every call edge of the dump; caller may be empty."""
    names: dict = {}
    function = callee = ""
    pending = None
    for line in open(path, errors="replace"):
        if line.startswith(("fn=", "cfn=")):
            match = NAME.match(line.strip())
            if not match:
                continue
            if match.group(2):
                names[match.group(1)] = match.group(2).split("'")[0]
            name = names.get(match.group(1), "")
            if line.startswith("fn="):
                function = name
            else:
                callee = name
        elif line.startswith("calls="):
            pending = int(line.split("=")[1].split()[0])
        elif pending is not None:
            if callee:
                yield function, callee, pending
            pending = None
