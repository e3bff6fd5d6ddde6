#!/usr/bin/env bash
# The release build of weft, laid out for a small resident footprint; prints the binary's path.
#   scripts/build-release.sh            links the Swift runtime and Foundation as shared libraries
#   scripts/build-release.sh --static   links them in: a binary for hosts without Swift installed
#
# Every function gets its own section and lld lays out first the functions an idle sidecar runs
# (scripts/weft-link-order.txt and .ld, from scripts/generate-link-order.sh), so their pages are few
# and contiguous. Relative relocations are packed (DT_RELR, glibc ≥ 2.36) and the executable exports no
# symbols, so start-up no longer reads 3 MB of relocation entries and 1.7 MB of symbol tables.
# The linker map (SCRATCH/weft.map; release/ may not exist yet when a first build links) is what
# scripts/generate-link-order.sh reads, and what the coverage check after the build reads: it says
# how many ordered names still resolve, and STALE when too few do.
# WEFT_LINK_ORDER=off builds the same layout without the order (scratch directory *-unordered), to
# measure what the order buys.
# Dynamic exclusivity checks are off in every module (the compile-time ones stay): most of the data
# path's are SwiftNIO's, ~67 a request, 8 % of a sidecar's instructions (see Package.swift's note on
# WeftProxy). Debug builds and the tests keep them. WEFT_EXCLUSIVITY=checked builds with them
# (scratch directory *-checked).
# Type-layout lowering is off (-disable-type-layout): with it, the optimiser's outlined copies and
# destroys of a concrete type go through its runtime metadata and value witnesses (a generic
# Optional's, a merged helper's), ~60-130 instructions a copy where the type's own code is a few
# loads and a retain; without it a plaintext request costs 3 % fewer instructions and the binary
# is 0.3 % larger (Benchmarks/instructions.sh, A/B).
set -euo pipefail
cd "$(dirname "$0")/.."
suffix=""
[ "${WEFT_LINK_ORDER:-on}" = "off" ] && suffix=-unordered
exclusivity=(-Xswiftc -enforce-exclusivity=unchecked)
if [ "${WEFT_EXCLUSIVITY:-unchecked}" = "checked" ]; then
  exclusivity=()
  suffix=$suffix-checked
fi
scratch=.build-lean-shared$suffix
static=()
if [ "${1:-}" = "--static" ]; then
  scratch=.build-lean$suffix
  static=(--static-swift-stdlib)
  # The C++ runtime the Swift runtime needs is linked in too: a directory searched before the
  # compiler's that has only the archive turns the runtime's -lstdc++ static. Its used parts then
  # get laid out with the rest instead of mapping all of libstdc++.so (1.4 MB resident, idle).
  archive=$(clang -print-file-name=libstdc++.a)
  if [ -f "$archive" ]; then
    mkdir -p "$scratch/static-c++"
    ln -sf "$archive" "$scratch/static-c++/libstdc++.a"
    static+=(-Xswiftc -Xclang-linker -Xswiftc -L"$PWD/$scratch/static-c++")
  fi
fi
ordering=(-Xlinker --symbol-ordering-file="$PWD/scripts/weft-link-order.txt" -Xlinker --no-warn-symbol-ordering
          -Xlinker -T -Xlinker "$PWD/scripts/weft-link-order.ld")
[ "${WEFT_LINK_ORDER:-on}" = "off" ] && ordering=()
order="$PWD/scripts/weft-link-order.txt"
# SwiftPM does not see the order file and script as inputs: relink when they changed (or no map).
binary="$scratch/release/weft"
script="$PWD/scripts/weft-link-order.ld"
if [ -e "$binary" ] && { [ "$order" -nt "$binary" ] || [ "$script" -nt "$binary" ] || [ ! -f "$scratch/weft.map" ]; }; then
  rm -f "$binary"
fi
swift build -c release --product weft "${static[@]}" --scratch-path "$scratch" "${exclusivity[@]}" \
  -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
  -Xswiftc -Xfrontend -Xswiftc -disable-type-layout \
  -Xswiftc -use-ld=lld \
  -Xlinker -z -Xlinker pack-relative-relocs \
  -Xlinker --no-export-dynamic \
  "${ordering[@]}" \
  -Xlinker -Map="$PWD/$scratch/weft.map" -Xlinker --no-demangle >&2
if [ ${#ordering[@]} -gt 0 ]; then
  python3 scripts/link-order-coverage.py "$scratch/weft.map" "$order" "$script" || true
fi
echo "$binary"
