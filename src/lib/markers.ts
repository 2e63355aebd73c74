// Marks on the timeline: where the program printed, where it received input,
// breakpoint and watchpoint hits seen in this session, inter-processor
// interrupts, the user's notes, its end, and the exit of a failed run (where
// the user's code last ran). The scrubber draws hits, IPIs, the end and the
// failed exit; console events and notes have lanes of their own (lanes.ts).
import type { ConsoleEvent } from '../../workers/engine-api';

export type MarkerKind = 'output' | 'input' | 'breakpoint' | 'watchpoint' | 'end' | 'ipi' | 'note' | 'exit';

export interface Marker {
  kind: MarkerKind;
  icount: number;
  label: string;
}

export function consoleMarkers(events: readonly ConsoleEvent[]): Marker[] {
  const out: Marker[] = [];
  for (const e of events) {
    const kind: MarkerKind = e.kind === 'stdin' || e.kind === 'eof' ? 'input' : 'output';
    const last = out.at(-1);
    if (last && last.kind === kind && last.icount === e.icount) continue;
    const text = e.kind === 'eof' ? 'end of input' : e.text.trim().slice(0, 40);
    out.push({ kind, icount: e.icount, label: `${kind === 'input' ? 'input' : 'output'}: ${text}` });
  }
  return out;
}

/**
 * Markers that fall in [start, end], reduced to at most one per kind per
 * pixel column of a track `width` pixels wide: what is worth drawing.
 */
export function visibleMarkers(markers: readonly Marker[], start: number, end: number, width: number): { marker: Marker; x: number }[] {
  const span = Math.max(1, end - start);
  const seen = new Set<string>();
  const out: { marker: Marker; x: number }[] = [];
  for (const m of markers) {
    if (m.icount < start || m.icount > end) continue;
    const x = Math.round(((m.icount - start) / span) * width);
    const key = `${m.kind}:${x}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ marker: m, x });
  }
  return out;
}

/** Inter-processor interrupts (several harts): one marker each. */
export function ipiMarkers(ipis: readonly { icount: number; from: number; to: number }[]): Marker[] {
  return ipis.map((i) => ({ kind: 'ipi', icount: i.icount, label: `IPI: hart ${i.from} interrupts hart ${i.to}` }));
}
