// Which source files belong to a library rather than to the user's program,
// by the path the compiler recorded: picolibc's and newlib's sources (Debian's
// picolibc-riscv64-unknown-elf has line information, with paths such as
// "../../../semihost/machine/riscv/semihost-riscv.s" and
// "../../../newlib/libc/stdlib/pico-exit.c"), the C runtime start-up and
// GCC's runtime. Used where no source is at hand to say so (the source view)
// and, for recordings without any source, to tell user code from the library.

const LIBC_PARTS = ['newlib', 'picolibc', 'picocrt', 'semihost', 'libgloss', 'libc', 'libm', 'musl', 'glibc'];
const RUNTIME_PARTS = ['libgcc', 'libstdc++-v3', 'compiler-rt'];

/** 'libc', 'runtime' (GCC's and the like), or undefined for a file that does not look like a library's. */
export function libraryOf(path: string): 'libc' | 'runtime' | undefined {
  const parts = path.split(/[\\/]/);
  if (parts.some((p) => LIBC_PARTS.includes(p))) return 'libc';
  if (parts.some((p) => RUNTIME_PARTS.includes(p))) return 'runtime';
  if (/^\/usr\/(lib|include|share)\//.test(path)) return 'libc';
  return undefined;
}
