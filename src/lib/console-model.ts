// The console at a position: the events (output and input, stamped with their
// icount) up to and including it, as the engine's outputUpTo(t) counts them.
import type { ConsoleEvent } from '../../workers/engine-api';

/** Index of the first event after position t (events are in icount order). */
export function eventsUpTo(events: readonly ConsoleEvent[], t: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].icount <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ConsoleRun {
  kind: ConsoleEvent['kind'];
  text: string;
  /** Icount of the first event in the run. */
  icount: number;
}

/** At most this many characters are shown (the oldest are dropped). */
export const MAX_CONSOLE_CHARS = 100_000;

/** The first `count` events merged into runs of the same kind, keeping at most MAX_CONSOLE_CHARS at the end. */
export function consoleRuns(events: readonly ConsoleEvent[], count: number, max = MAX_CONSOLE_CHARS): { runs: ConsoleRun[]; dropped: number } {
  let first = count;
  let chars = 0;
  while (first > 0 && chars < max) {
    first--;
    chars += events[first].text.length || 1;
  }
  const runs: ConsoleRun[] = [];
  let dropped = 0;
  for (let i = 0; i < first; i++) dropped += events[i].text.length;
  for (let i = first; i < count; i++) {
    const e = events[i];
    let text = e.text;
    if (i === first && chars > max && e.kind !== 'eof') {
      const cut = chars - max;
      text = text.slice(cut);
      dropped += cut;
    }
    const last = runs.at(-1);
    if (last && last.kind === e.kind && e.kind !== 'eof') last.text += text;
    else runs.push({ kind: e.kind, text, icount: e.icount });
  }
  return { runs, dropped };
}
