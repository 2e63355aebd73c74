// Harts as GDB threads, as QEMU's gdbstub presents its CPUs: thread id =
// hart + 1. With several harts the server speaks GDB's multiprocess
// extension (one process, pid 1), so ids travel as `p01.02` and GDB shows
// `Thread 1.2`, as it does against QEMU with -smp; with one hart the ids are
// the plain `01` of a single-threaded target.

/** A thread id from a packet: one hart, every thread (-1), or any thread (0). */
export type ThreadSelector = { hart: number } | 'all' | 'any';

/**
 * Parses a thread id (`N`, `-1`, `0`, or in multiprocess form `pP.N`, `pP`,
 * `pP.-1`, `p-1.-1`) against a machine with `harts` harts. Undefined if it is
 * malformed, names another process, or names no hart.
 */
export function parseThreadId(s: string, harts: number): ThreadSelector | undefined {
  let tid = s;
  const m = /^p(-1|[0-9a-fA-F]{1,8})(?:\.(-1|[0-9a-fA-F]{1,8}))?$/.exec(s);
  if (m) {
    const pid = m[1] === '-1' ? -1 : parseInt(m[1], 16);
    if (pid !== -1 && pid !== 0 && pid !== 1) return undefined;
    tid = m[2] ?? '-1';
    if (pid === -1 && tid !== '-1') return undefined;
  }
  if (tid === '-1') return 'all';
  if (!/^[0-9a-fA-F]{1,8}$/.test(tid)) return undefined;
  const n = parseInt(tid, 16);
  if (n === 0) return 'any';
  return n <= harts ? { hart: n - 1 } : undefined;
}

/** The id of hart `hart` in replies: `01`, or `p01.01` in multiprocess form. */
export function formatThreadId(hart: number, multiprocess: boolean): string {
  const tid = (hart + 1).toString(16).padStart(2, '0');
  return multiprocess ? `p01.${tid}` : tid;
}
