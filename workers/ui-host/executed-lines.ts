// The source lines that ran during a motion (the source view marks them),
// found by running the stretch again one line-table range at a time.
import type { ExecutedLines } from '../engine-api';
import type { DebugInfo } from '../formats/dwarf';
import type { MotionResult, Timeline } from '../replay/timeline';

/** The lines executed during a motion are found by re-running at most this many instructions before where it stopped. */
const EXECUTED_WINDOW = 2_000_000n;
/** ... and by at most this many line changes, or this much time. */
const EXECUTED_MAX_RANGES = 20_000;
const EXECUTED_MAX_MS = 150;

/**
 * The source lines that ran between `a` and `b` (either order), found by
 * running that stretch again one line-table range at a time (at most the
 * last EXECUTED_WINDOW instructions of it), with traps off. Leaves the
 * timeline at `b`.
 */
export function executedLines(tl: Timeline, debug: DebugInfo | undefined, a: bigint, b: bigint): ExecutedLines[] | undefined {
  if (!debug || a === b) return undefined;
  const hi = a > b ? a : b;
  let lo = a < b ? a : b;
  if (hi - lo > EXECUTED_WINDOW) lo = hi - EXECUTED_WINDOW;
  const lines = new Map<string, Set<number>>();
  const disabled = tl.listTraps().filter((t) => t.enabled);
  for (const t of disabled) tl.setTrapEnabled(t.id, false);
  const started = performance.now();
  try {
    tl.seek(lo);
    for (let n = 0; n < EXECUTED_MAX_RANGES && tl.icount < hi; n++) {
      if ((n & 63) === 63 && performance.now() - started > EXECUTED_MAX_MS) break;
      const pc = Number(tl.pc);
      const range = debug.lineRangeAt(pc);
      let r: MotionResult;
      if (range) {
        // A line of a loop body runs again and again: only the line, once, counts.
        let set = lines.get(range.file);
        if (!set) lines.set(range.file, (set = new Set()));
        set.add(range.line);
        r = tl.stepInRange(BigInt(range.start), BigInt(range.end), hi - tl.icount);
      } else {
        const fn = debug.functionAt(pc);
        const sym = tl.machine.symbols.symbolize(pc);
        const [start, end] = fn ? [fn.low, fn.high] : sym && sym.offset < sym.symbol.size ? [sym.symbol.address, sym.symbol.address + sym.symbol.size] : [pc, pc + 2];
        r = tl.stepInRange(BigInt(start), BigInt(end), hi - tl.icount);
      }
      if (r.reason !== 'step' && r.reason !== 'limit') break;
    }
  } catch {
    // What was found so far is shown; the position is put back below.
  } finally {
    for (const t of disabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
    tl.seek(b);
  }
  return [...lines].map(([file, set]) => ({ file, lines: [...set].sort((x, y) => x - y) }));
}
