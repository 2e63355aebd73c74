// What the page knows about the current program and run (the UI's own state;
// the engine's state lives in the worker).
import type { RunResult } from '../workers/engine-api';

export type Phase =
  | { kind: 'idle' }
  | { kind: 'loading'; program: string }
  | { kind: 'running'; program: string; waiting: boolean; icount: string; instructionsPerSecond: number }
  | { kind: 'finished'; program: string; result: RunResult };

export type ConsoleStreamKind = 'stdout' | 'stderr' | 'stdin' | 'note';

export interface ConsoleEntry {
  stream: ConsoleStreamKind;
  text: string;
}

/** The console keeps at most this much text (the oldest goes first). */
const MAX_CONSOLE_CHARS = 200_000;

/** Appends text, merging with the last entry of the same stream, and trims the oldest text. */
export function appendConsole(entries: ConsoleEntry[], stream: ConsoleStreamKind, text: string): ConsoleEntry[] {
  const last = entries.at(-1);
  const next = last && last.stream === stream
    ? [...entries.slice(0, -1), { stream, text: last.text + text }]
    : [...entries, { stream, text }];
  let total = next.reduce((n, e) => n + e.text.length, 0);
  while (total > MAX_CONSOLE_CHARS && next.length > 0) {
    const excess = total - MAX_CONSOLE_CHARS;
    if (next[0].text.length <= excess) {
      total -= next[0].text.length;
      next.shift();
    } else {
      next[0] = { ...next[0], text: next[0].text.slice(excess) };
      total -= excess;
    }
  }
  return next;
}

/** True while the program can still take console input. */
export function acceptsInput(phase: Phase): boolean {
  if (phase.kind === 'running') return true;
  return phase.kind === 'finished' && phase.result.stop.reason !== 'exit';
}
