"""Reads lld's -Map output: one entry per output section, input section and symbol.

lld writes "VMA LMA Size Align Out" rows; an input section is indented 8 more than its output
section and a symbol 16 more. The link-order scripts share this reader.
"""
import re
from typing import Iterator, NamedTuple

ROW = re.compile(r"^\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\s*)(\S.*)$")


class Entry(NamedTuple):
    """One row: the output section it belongs to, its kind, address, size and name."""
    output: str
    kind: str  # "output", "input" or "symbol"
    address: int
    size: int
    name: str


def entries(path: str) -> Iterator[Entry]:
    output = ""
    for line in open(path, errors="replace"):
        m = ROW.match(line)
        if not m:
            continue
        address, size, indent, name = int(m.group(1), 16), int(m.group(2), 16), len(m.group(3)), m.group(4)
        if indent == 0:
            output = name
            yield Entry(output, "output", address, size, name)
        elif indent == 8:
            yield Entry(output, "input", address, size, name)
        elif indent == 16:
            yield Entry(output, "symbol", address, size, name)


THINLTO_SUFFIX = re.compile(r"\.llvm\.\d+(?:\.\d+)*$")


def thinlto_base(name: str) -> str:
    """A name without the suffix ThinLTO gives a local function it promotes (`NAME.llvm.HASH`, the hash
    from its module's code): the name the committed order holds, resolved per build (link-order-thinlto.py)."""
    return THINLTO_SUFFIX.sub("", name)
