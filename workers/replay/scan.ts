// Running a stretch of a Timeline with a few temporary breakpoints, noting
// every hit: what the timeline's lanes (run-map.ts) and the search for the
// end of the user's code (user-end.ts) are built on.
//
// Each continue goes at most CHUNK instructions, fewer than the Timeline runs
// between two yields to the event loop (its 4M-instruction slice): so a run
// here never gives the event loop a turn. The session relies on that to map
// the run between the page's requests without another request seeing the
// timeline anywhere but where the user left it (workers/ui-host/run-lanes.ts).
import type { MotionResult, Timeline } from './timeline';

/** Instructions per continue (see above: below the Timeline's slice). */
export const CHUNK = 1n << 20n;

export type RunEnd =
  /** At `target`. */
  | 'reached'
  /** The program's end (exit, the end of the recording, a fault) came first. */
  | 'ended'
  /** The deadline passed: the timeline is where the run got to. */
  | 'paused';

/**
 * Runs from the current position to `target` with breakpoints at
 * `addresses` (and no other trap: the caller disables the user's), calling
 * `onHit` with the hart each time an instruction at one of them is about to
 * run, at most once per icount. A hit at the starting position counts; one
 * at `target` does not (the next stretch, which starts there, has it).
 * Checks `deadline` (performance.now()) between chunks, after the first.
 */
export async function runWithBreakpoints(tl: Timeline, target: bigint, addresses: readonly bigint[],
  onHit: (hart: number) => void, deadline = Number.POSITIVE_INFINITY): Promise<RunEnd> {
  const wanted = new Set(addresses);
  const temps = [...wanted].map((a) => tl.addBreakpoint(a));
  let reported = -1n;
  let ran = false;
  try {
    while (tl.icount < target) {
      // Not before one chunk has run (so that every call gets somewhere), and before the hit here is counted (a run that goes on from here counts it, once).
      if (ran && performance.now() > deadline) return 'paused';
      // Where a continue stopped for a breakpoint, or where a chunk ended on one: the next continue steps over it.
      if (wanted.has(tl.pc) && tl.icount !== reported) {
        reported = tl.icount;
        onHit(tl.hartAt(tl.icount));
      }
      const chunkEnd = tl.icount + CHUNK < target ? tl.icount + CHUNK : target;
      tl.replayBreak(chunkEnd);
      let r: MotionResult;
      try {
        r = await tl.continue();
      } finally {
        tl.deleteReplayBreak();
      }
      ran = true;
      if (r.reason === 'breakpoint' || r.reason === 'replay-break') continue;
      return tl.icount >= target ? 'reached' : 'ended';
    }
    return 'reached';
  } finally {
    for (const t of temps) tl.deleteTrap(t.id);
  }
}

/**
 * The last icount before `before` at which the instruction at `address`
 * ran, searching backwards in growing windows (the places this is asked
 * about, the way out of a program, are near the end). Leaves the timeline
 * somewhere before `before`.
 */
export async function lastExecution(tl: Timeline, address: bigint, before: bigint, deadline = Number.POSITIVE_INFINITY): Promise<bigint | undefined> {
  let window = 1n << 16n;
  for (;;) {
    const from = before > window ? before - window : 0n;
    tl.seek(from);
    let last: bigint | undefined;
    const end = await runWithBreakpoints(tl, before, [address], () => { last = tl.icount; }, deadline);
    if (last !== undefined) return last;
    if (from === 0n || end === 'paused') return undefined;
    window *= 8n;
  }
}
