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
# Link-time optimisation (ThinLTO) is on: the optimiser then sees across modules (SwiftNIO's
# channel and buffer code inlined into Weft's handlers and each other's), −9.7 % instructions a
# plaintext request and −8.7 % with mutual TLS, −3 to −5 % CPU a request side by side (stop 48,
# Benchmarks/ab.sh). A first build takes ~12 minutes on 2 cores (~4 without), a relink ~1.
# WEFT_LTO=off builds without it (scratch directories .build-lean*; with it .build-lto*).
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
lto=on
[ "${WEFT_LTO:-thin}" = "off" ] && lto=off
base=.build-lto
[ "$lto" = off ] && base=.build-lean
scratch=$base-shared$suffix
static=()
# The toolchain's runtime libraries, which the LTO link names itself (below).
toolchain=$(dirname "$(dirname "$(realpath "$(command -v swiftc)")")")
runtime=$toolchain/lib/swift/linux
library=so
if [ "${1:-}" = "--static" ]; then
  scratch=$base$suffix
  runtime=$toolchain/lib/swift_static/linux
  library=a
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
thinlto=()
if [ "$lto" = on ]; then
  # Each bitcode input names the libraries its module links (autolink); lld opened the archives again
  # for every input, past the kernel's 65530 mappings a process may hold (vm.max_map_count), and the
  # link failed with "Cannot allocate memory". They are named once here instead: what Weft's modules
  # autolink (swift-autolink-extract over a build without LTO). A library missing here fails the link
  # with undefined symbols: add it.
  libraries=(-Xlinker --no-dependent-libraries)
  for name in swiftCore swift_Concurrency swift_StringProcessing swift_RegexParser swiftSynchronization swiftGlibc \
              swiftDispatch dispatch BlocksRuntime Foundation FoundationEssentials FoundationInternationalization \
              _FoundationICU _FoundationCollections _FoundationCShims CoreFoundation; do
    [ -e "$runtime/lib$name.$library" ] && libraries+=(-Xlinker "-l$name")
  done
  [ -e "$runtime/libswiftCore.$library" ] || { echo "no Swift runtime at $runtime (WEFT_LTO=off builds without naming it)" >&2; exit 1; }
  libraries+=(-Xlinker -ldl -Xlinker -lm -Xlinker -lpthread -Xlinker -lutil)
  # The cache keeps each module's generated code: a relink (a new order) generates none again.
  thinlto=(--experimental-lto-mode=thin "${libraries[@]}" -Xlinker --thinlto-cache-dir="$PWD/$scratch/thinlto-cache")
fi
order="$PWD/scripts/weft-link-order.txt"
script="$PWD/scripts/weft-link-order.ld"
# The link reads the order as this build names its functions: ThinLTO renames some (NAME.llvm.HASH,
# the hash from the code, see link-order-thinlto.py), found in the map of a first link and written
# here; the second link lays them out. Without LTO the copies equal the committed files.
linked_order="$PWD/$scratch/link-order.txt"
linked_script="$PWD/$scratch/link-order.ld"
ordering=(-Xlinker --symbol-ordering-file="$linked_order" -Xlinker --no-warn-symbol-ordering
          -Xlinker -T -Xlinker "$linked_script")
[ "${WEFT_LINK_ORDER:-on}" = "off" ] && ordering=()
binary="$scratch/release/weft"
mkdir -p "$scratch"
# The compiler leaves a bitcode object per source file in TMPDIR with LTO (~160 MB a full build),
# never read again: kept in the build directory, emptied each build.
rm -rf "$scratch/tmp"
mkdir -p "$scratch/tmp"
export TMPDIR="$PWD/$scratch/tmp"
# SwiftPM does not see the order file and script as inputs: relink when they changed (or no map).
if [ ! -f "$linked_order" ] || [ "$order" -nt "$linked_order" ] || [ "$script" -nt "$linked_order" ]; then
  cp "$order" "$linked_order"
  cp "$script" "$linked_script"
  rm -f "$binary"
fi
if [ -e "$binary" ] && [ ! -f "$scratch/weft.map" ]; then
  rm -f "$binary"
fi
link() {
  swift build -c release --product weft "${static[@]}" --scratch-path "$scratch" "${exclusivity[@]}" \
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
    -Xswiftc -Xfrontend -Xswiftc -disable-type-layout \
    -Xswiftc -use-ld=lld \
    -Xlinker -z -Xlinker pack-relative-relocs \
    -Xlinker --no-export-dynamic \
    "${thinlto[@]}" \
    "${ordering[@]}" \
    -Xlinker -Map="$PWD/$scratch/weft.map" -Xlinker --no-demangle >&2
}
link
if [ ${#ordering[@]} -gt 0 ]; then
  python3 scripts/link-order-thinlto.py "$scratch/weft.map" "$order" "$script" "$linked_order.new" "$linked_script.new"
  if cmp -s "$linked_order.new" "$linked_order" && cmp -s "$linked_script.new" "$linked_script"; then
    rm -f "$linked_order.new" "$linked_script.new"
  else
    mv "$linked_order.new" "$linked_order"
    mv "$linked_script.new" "$linked_script"
    rm -f "$binary"
    link
  fi
  python3 scripts/link-order-coverage.py "$scratch/weft.map" "$linked_order" "$linked_script" || true
fi
echo "$binary"
