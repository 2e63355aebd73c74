#!/usr/bin/env bash
# build.sh - rebuild every example ELF in this directory from its sources.
#
# Usage: public/examples/build.sh        (from any directory)
#
# Needs a bare-metal RISC-V GCC with picolibc, e.g. on Debian/Ubuntu:
#   apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
# Set CROSS to use another tool prefix (default: riscv64-unknown-elf-).
#
# The ELFs are written next to their sources (hello.c -> hello.elf) and are
# committed to the repository, so this script only needs to run after a
# source changes.  Builds are reproducible: debug info refers to the source
# files by their names in this directory, without the absolute path.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

CROSS="${CROSS:-riscv64-unknown-elf-}"
CC="${CROSS}gcc"
NM="${CROSS}nm"

die() {
    echo "build.sh: $*" >&2
    exit 1
}

command -v "$CC" >/dev/null 2>&1 ||
    die "$CC not found. Install a RISC-V bare-metal toolchain and picolibc (Debian: apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)."
command -v "$NM" >/dev/null 2>&1 || die "$NM not found (part of binutils-riscv64-unknown-elf)."
# -print-file-name echoes the bare name back when the file does not exist.
[[ "$("$CC" -print-file-name=picolibc.specs)" == */* ]] ||
    die "picolibc.specs not found: install picolibc for $CC (Debian: picolibc-riscv64-unknown-elf)."

# Common code generation flags: the toolchain's default ISA and ABI
# (rv64imafdc, lp64d), as a user who builds with no -march gets them.
# Assembly files that need CSR instructions enable Zicsr themselves with
# ".option arch, +zicsr".
ARCH=(-mcmodel=medany)
COMMON=("${ARCH[@]}" -g -Wall -Wextra -ffile-prefix-map="$HERE"=. -Wa,--debug-prefix-map,"$HERE"=.)

# C programs: picolibc with semihosting I/O and its semihosting crt0.
# Code and read-only data at 0x80000000 (2 MiB), RAM at 0x80200000 (16 MiB,
# the stack grows down from its top).
PICOLIBC=(-O2 --specs=picolibc.specs --oslib=semihost --crt0=semihost
    -Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000
    -Wl,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000)

# Bare assembly programs: no C library, no start-up code, bare.ld layout.
BARE=(-nostdlib -nostartfiles -static -Wl,-T,bare.ld -Wl,--no-warn-rwx-segments)

# Objects go to a temporary directory (removed on exit); linking objects
# named after their sources keeps temporary file names out of the ELFs.
OBJDIR="$(mktemp -d)"
trap 'rm -rf "$OBJDIR"' EXIT

# build OUT.elf FLAGS... -- SOURCES...
build() {
    local out="$1"
    shift
    local flags=() objs=() src obj
    while [[ "$1" != "--" ]]; do
        flags+=("$1")
        shift
    done
    shift
    echo "  $out  <-  $*"
    for src in "$@"; do
        obj="$OBJDIR/${src%.*}.o"
        "$CC" "${flags[@]}" -c "$src" -o "$obj"
        objs+=("$obj")
    done
    "$CC" "${flags[@]}" "${objs[@]}" -o "$out"
}

echo "Building examples in $(basename "$HERE")/ with $CC"

build hello.elf      "${COMMON[@]}" "${PICOLIBC[@]}" -- hello.c
# -fno-toplevel-reorder keeps the globals in source order, so that the
# buggy array `smoothed` is immediately followed by `calibration_offset`.
build corruption.elf "${COMMON[@]}" "${PICOLIBC[@]}" -fno-toplevel-reorder -- corruption.c
build echo.elf       "${COMMON[@]}" "${PICOLIBC[@]}" -- echo.c
build timer.elf      "${COMMON[@]}" "${PICOLIBC[@]}" -- timer.c timer_trap.S
build bench.elf      "${COMMON[@]}" "${PICOLIBC[@]}" -- bench.c
build orbits.elf     "${COMMON[@]}" "${PICOLIBC[@]}" -- orbits.c
build fpbench.elf    "${COMMON[@]}" "${PICOLIBC[@]}" -- fpbench.c
build uart.elf       "${COMMON[@]}" "${BARE[@]}" -- uart.S
build traps.elf      "${COMMON[@]}" "${BARE[@]}" -- traps.S

# The corruption example only demonstrates its bug if the overflowing store
# really hits calibration_offset: check the layout the linker produced.
symbol() { "$NM" -S corruption.elf | awk -v name="$1" '$4 == name { print $1, $2 }'; }
read -r smoothed_addr smoothed_size < <(symbol smoothed) ||
    die "corruption.elf: symbol smoothed not found"
read -r calib_addr _ < <(symbol calibration_offset) ||
    die "corruption.elf: symbol calibration_offset not found"
if (( 16#$smoothed_addr + 16#$smoothed_size != 16#$calib_addr )); then
    die "corruption.elf: calibration_offset (0x$calib_addr) does not directly follow smoothed[] (0x$smoothed_addr + 0x$smoothed_size)"
fi

echo "Done."
