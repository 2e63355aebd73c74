// The timeline's lanes as boxes to draw: function calls in depth rows, traps
// and interrupts, console output and input, notes and the exit mark, each
// placed in pixels within the visible window of the timeline. Marks closer
// together than a few pixels are drawn as one box whose label lists them:
// what is drawn stays a few hundred elements however long the recording, and
// no box hides another.
import type { CallSegment, ConsoleEvent, NoteInfo, TrapMark, UserEndInfo } from '../../workers/engine-api';
import { formatCount } from '../format';

export interface LaneWindow {
  start: number;
  end: number;
  /** The track's width in pixels. */
  width: number;
}

export interface LaneItem {
  key: string;
  /** Pixels from the lane's left edge. */
  left: number;
  /** 0: as wide as its text. */
  width: number;
  /** Placed by its right edge instead (pixels from the lane's right edge), as wide as its text. */
  right?: number;
  /** Where a click goes. */
  icount: number;
  /** The accessible name and the tooltip. */
  label: string;
  className: string;
  /** Text drawn inside, when it fits. */
  text?: string;
}

/** Width in pixels of a point mark, and of the column within which marks of one kind are drawn as one. */
const MARK_WIDTH = 3;
const CLUSTER_PX = 4;

const x = (t: number, w: LaneWindow) => ((t - w.start) / Math.max(1, w.end - w.start)) * w.width;

export type TrapClass = 'interrupt' | 'ecall' | 'breakpoint' | 'fault';

/** Interrupts; and among exceptions, system calls, breakpoints (ebreak) and faults (everything else). */
export function trapClass(t: Pick<TrapMark, 'interrupt' | 'code'>): TrapClass {
  if (t.interrupt) return 'interrupt';
  if (t.code === 8 || t.code === 9 || t.code === 11) return 'ecall';
  if (t.code === 3) return 'breakpoint';
  return 'fault';
}

/**
 * The call lane: one row per depth (at most `rows`), a box per segment in
 * view, its name inside when `fits(name, pixels)` says it does.
 */
export function callRows(segments: readonly CallSegment[], w: LaneWindow, rows: number, fits: (text: string, px: number) => boolean): LaneItem[][] {
  const out: LaneItem[][] = [];
  for (const s of segments) {
    if (s.depth >= rows || s.end <= w.start || s.start >= w.end) continue;
    const left = Math.max(0, x(s.start, w));
    const right = Math.min(w.width, x(s.end, w));
    if (right - left < 1) continue;
    while (out.length <= s.depth) out.push([]);
    const label = `${s.name}${s.user ? '' : ' (library)'}: icount ${formatCount(s.start)} to ${formatCount(s.end)}`;
    const item: LaneItem = { key: `${s.depth}:${s.start}`, left, width: right - left, icount: s.at, label, className: s.user ? 'call-user' : 'call-library' };
    if (fits(s.name, right - left - 6)) item.text = s.name;
    out[s.depth].push(item);
  }
  return out;
}

interface Point {
  icount: number;
  /** What kind of mark (its colour). */
  kind: string;
  /** What it is called in a cluster's label ("machine timer interrupt", a line of output). */
  name: string;
  /** Its label alone. */
  label: string;
  /** Where a click goes, if not to `icount`. */
  target?: number;
}

/**
 * Point marks in view, those in one CLUSTER_PX column as one box (of their
 * kind's colour, or the "mixed" one), placed at the column: boxes never
 * overlap, so each can be pointed at.
 */
function clustered(points: readonly Point[], w: LaneWindow, what: string, classOf: (kind: string) => string,
  summary: (group: readonly Point[]) => string, goTo: 'first' | 'last' = 'first'): LaneItem[] {
  const groups = new Map<number, Point[]>();
  for (const p of points) {
    if (p.icount < w.start || p.icount > w.end) continue;
    const column = Math.min(Math.floor(x(p.icount, w) / CLUSTER_PX), Math.floor((w.width - MARK_WIDTH) / CLUSTER_PX));
    const g = groups.get(column);
    if (g) g.push(p);
    else groups.set(column, [p]);
  }
  const out: LaneItem[] = [];
  for (const [column, g] of groups) {
    const first = g[0];
    const last = g[g.length - 1];
    const label = g.length === 1 ? first.label : `${g.length} ${what} at icount ${formatCount(first.icount)} to ${formatCount(last.icount)}: ${summary(g)}`;
    const kind = g.every((p) => p.kind === first.kind) ? first.kind : 'mixed';
    const to = goTo === 'first' ? first : last;
    out.push({ key: `${column}`, left: Math.max(0, column * CLUSTER_PX), width: MARK_WIDTH, icount: to.target ?? to.icount, label, className: classOf(kind) });
  }
  return out.sort((a, b) => a.left - b.left);
}

/** "machine timer interrupt ×3, ecall from U-mode" */
function countNames(group: readonly Point[]): string {
  const counts = new Map<string, number>();
  for (const p of group) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

export function trapItems(traps: readonly TrapMark[], w: LaneWindow): LaneItem[] {
  const points = traps.map((t): Point => ({
    icount: t.icount,
    kind: trapClass(t),
    name: t.name,
    label: `${t.name} at icount ${formatCount(t.icount)}, from ${t.where} (hart ${t.hart}, to ${t.mode} mode)`,
  }));
  return clustered(points, w, 'traps', (kind) => `trap-${kind}`, countNames);
}

export interface ConsoleLine {
  /** Where its first character was written (programs often write one at a time), or the input arrived. */
  icount: number;
  /** Where its last one was. */
  end: number;
  kind: 'output' | 'input';
  text: string;
}

/** The console as lines: output a line at a time, input as it arrived. */
export function consoleLines(events: readonly ConsoleEvent[]): ConsoleLine[] {
  const out: ConsoleLine[] = [];
  let line: ConsoleLine | undefined;
  for (const e of events) {
    if (e.kind === 'stdin' || e.kind === 'eof') {
      if (line) { out.push(line); line = undefined; }
      out.push({ icount: e.icount, end: e.icount, kind: 'input', text: e.kind === 'eof' ? '(end of input)' : e.text.replace(/\n$/, '') });
      continue;
    }
    const parts = e.text.split('\n');
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (last && part === '') return; // the text ended with its line
      line ??= { icount: e.icount, end: e.icount, kind: 'output', text: '' };
      line.text += part;
      line.end = e.icount;
      if (!last) { out.push(line); line = undefined; }
    });
  }
  if (line) out.push(line);
  return out;
}

const short = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function consoleItems(events: readonly ConsoleEvent[], w: LaneWindow): LaneItem[] {
  // Marked where a line began; a click goes to where it was all written (the console shows it whole there).
  const points = consoleLines(events).map((l): Point => ({
    icount: l.icount, target: l.end, kind: l.kind, name: short(l.text.trim(), 60), label: `${l.kind}: ${short(l.text.trim(), 80)} (icount ${formatCount(l.icount)})`,
  }));
  return clustered(points, w, 'console lines', (kind) => `console-${kind}`, (g) => short(g.map((p) => p.name).join(' | '), 120), 'last');
}

/** Notes: a mark at the note's instant, or a bar over its range. */
export function noteItems(notes: readonly NoteInfo[], w: LaneWindow): LaneItem[] {
  const out: LaneItem[] = [];
  for (const n of notes) {
    const end = n.end ?? n.icount;
    if (end < w.start || n.icount > w.end) continue;
    const left = Math.max(0, Math.min(w.width - MARK_WIDTH, x(n.icount, w) - 1));
    const right = Math.min(w.width, x(end, w) + 1);
    const where = n.end !== undefined ? `icount ${formatCount(n.icount)} to ${formatCount(n.end)}` : `icount ${formatCount(n.icount)}`;
    out.push({ key: `note:${n.id}`, left, width: Math.max(MARK_WIDTH, right - left), icount: n.icount, label: `note: ${n.text} (${where})`, className: 'note' });
  }
  return out;
}

/** The mark of a failed run, at the end of the user's code: "exit(1)", or "failed: status 1" when main returned it. */
export function exitMark(ended: { reason: string; exitCode?: number } | null, userEnd: UserEndInfo | null): { icount: number; text: string; label: string } | null {
  if (!ended || ended.exitCode === undefined || ended.exitCode === 0 || !userEnd) return null;
  const code = ended.exitCode;
  const text = userEnd.via === 'call' && /^_?exit$/.test(userEnd.callee ?? '') ? `exit(${code})` : `failed: status ${code}`;
  const where = userEnd.source ? ` at ${userEnd.source.file.replace(/^.*\//, '')}:${userEnd.source.line}${userEnd.source.function ? ` in ${userEnd.source.function}` : ''}` : '';
  return { icount: userEnd.icount, text, label: `${text}: the program exits with status ${code}; the last of your code that ran${where} (icount ${formatCount(userEnd.icount)})` };
}
