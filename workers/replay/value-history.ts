// The history of a value: every write to a memory range across a whole
// recording, computed from the Timeline's snapshots in parallel. The recording
// is split into segments at snapshot positions; segments that cannot hold a
// write (the range's page was not written there) are skipped; the others are
// replayed by workers (worker_threads in Node, Web Workers in the browser),
// each with its own replay Timeline and a write watchpoint on the range.
//
// Host-neutral: a host provides `spawn` (a channel to a new worker whose
// script calls serveHistoryWorker). The CLI's `history` and the web app's
// Variables panel both call computeValueHistory.
import { Timeline, type MotionResult } from './timeline';
import type { Machine, MachineState } from '../engine/machine';
import type { ParsedRecording, RecordingEnd, RecordingEvent, RecordingMeta } from '../formats/recording';
import type { Snapshot } from './snapshots';
import { RAM_BASE } from '../engine/memory-map';
import { PAGE_SIZE } from './digest';

export interface HistoryRange { address: bigint; length: number }

/** One write to the range. */
export interface ValueWrite {
  /** The position just after the writing instruction (where a forward continue with a watchpoint stops). */
  icount: bigint;
  /** The writing instruction. */
  pc: bigint;
  /** The hart that wrote (0 on a single-hart machine). */
  hart: number;
  /** The store itself: its address and size. */
  address: bigint;
  size: number;
  /** The whole range before and after the write (undefined where it could not be read). */
  before: Uint8Array | undefined;
  after: Uint8Array | undefined;
  /** Filled in by `locate`: the function and source line of pc. */
  function?: string;
  file?: string;
  line?: number;
}

export interface ValueHistory {
  range: HistoryRange;
  writes: ValueWrite[];
  /** The range's bytes at icount 0 (when the first write knows them, or no write happened and it could be read). */
  initial: Uint8Array | undefined;
  /** Instructions replayed, segments in all and segments skipped without replaying. */
  replayed: bigint;
  segments: number;
  skipped: number;
  workers: number;
  cancelled: boolean;
}

export interface HistoryProgress { done: bigint; total: bigint; writes: number }

/** A channel to one worker (a worker_threads Worker or a Web Worker). */
export interface HistoryChannel {
  post(message: ToWorker): void;
  onMessage(listener: (message: FromWorker) => void): void;
  terminate(): void;
}

export interface HistoryOptions {
  /** Starts a worker; without it, segments are replayed in this thread one after the other. */
  spawn?: () => HistoryChannel;
  /** The compiled core (or its bytes) for the workers' machines; needed with `spawn`. */
  wasm?: WebAssembly.Module | Uint8Array;
  /** Number of workers (default: 2). */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (p: HistoryProgress) => void;
  /** Names the function and source line of a writing pc. */
  locate?: (pc: bigint) => { function?: string; file?: string; line?: number } | undefined;
}

/** What a worker needs to replay the recording: the parts of a ParsedRecording. */
export interface RecordingForWorker {
  meta: RecordingMeta;
  program: Uint8Array;
  disk?: Uint8Array;
  boardRevision: 1 | 2;
  events: RecordingEvent[];
  end?: RecordingEnd;
}

export interface SnapshotTransfer { icount: bigint; state: MachineState; pages: Map<number, Uint8Array> }

export interface SegmentTask { id: number; start: bigint; end: bigint; base?: SnapshotTransfer }

export type ToWorker =
  | { type: 'open'; wasm: WebAssembly.Module | Uint8Array; recording: RecordingForWorker }
  | { type: 'begin'; range: HistoryRange }
  | ({ type: 'task' } & SegmentTask)
  | { type: 'cancel' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; id: number; icount: bigint }
  | { type: 'done'; id: number; writes: ValueWrite[]; cancelled: boolean }
  | { type: 'error'; message: string };

export class HistoryError extends Error {
  override name = 'HistoryError';
}

/** The hart executing now, if the machine tells (a machine with several harts may); else 0. */
export function currentHart(machine: Machine, stop?: MotionResult): number {
  const fromStop = (stop as { hart?: unknown } | undefined)?.hart ?? (stop?.watch as { hart?: unknown } | undefined)?.hart;
  if (typeof fromStop === 'number') return fromStop;
  const m = machine as unknown as { hart?: unknown; currentHart?: unknown; hartId?: unknown };
  for (const v of [m.currentHart, m.hart, m.hartId]) {
    if (typeof v === 'number') return v;
    if (typeof v === 'function') { const r: unknown = (v as () => unknown).call(machine); if (typeof r === 'number') return r; }
  }
  return 0;
}

/** The parts of a timeline's recording a worker replays (a live recording: its log so far). */
export function recordingOf(timeline: Timeline): RecordingForWorker {
  return {
    meta: timeline.meta, program: timeline.program, boardRevision: timeline.machine.config.boardRevision ?? 2,
    events: timeline.events.slice(), ...(timeline.disk ? { disk: timeline.disk } : {}), ...(timeline.ended ? { end: timeline.ended } : {}),
  };
}

/** How far a replay of `recording` can go: its end, or its last logged event. */
function replayLimit(r: RecordingForWorker): bigint {
  if (r.end) return r.end.icount;
  return r.events.length ? r.events[r.events.length - 1].icount : 0n;
}

/**
 * Replays [task.start, task.end) of `tl` with a write watchpoint on the range and
 * returns the writes (icount in (start, end]). Disables the timeline's own traps
 * and replay-break meanwhile, and puts them back.
 */
export async function runSegment(tl: Timeline, range: HistoryRange, task: SegmentTask, signal?: AbortSignal,
  onSlice?: () => void): Promise<{ writes: ValueWrite[]; cancelled: boolean }> {
  if (task.base && !tl.snapshots.at(task.base.icount)) {
    const list = tl.snapshots.list();
    if (list[list.length - 1].icount < task.base.icount) tl.snapshots.append(task.base.icount, task.base.state, task.base.pages);
  }
  const disabled = tl.listTraps().filter((t) => t.enabled);
  for (const t of disabled) tl.setTrapEnabled(t.id, false);
  const replayBreak = tl.info().replayBreak;
  tl.deleteReplayBreak();
  const writes: ValueWrite[] = [];
  let cancelled = false;
  let wp: ReturnType<Timeline['addWatchpoint']> | undefined;
  try {
    tl.seek(task.start);
    const read = () => { const b = tl.machine.readMemory(range.address, range.length); return b ? b.slice() : undefined; };
    let before = read();
    const pages = physicalPages(tl, range);
    // Watched, every memory access takes the core's slow path. Where the range is identity-mapped, run in
    // sub-slices without the watchpoint, and run again watched only those whose dirty pages include the range's.
    const sub = pages.length > 0 ? SUB_SLICE : 0n;
    while (tl.icount < task.end && !cancelled) {
      const from = tl.icount;
      const to = sub > 0n ? (((from / sub) + 1n) * sub < task.end ? ((from / sub) + 1n) * sub : task.end) : task.end;
      if (sub > 0n) {
        tl.snapshots.take();
        if (to < tl.length) tl.replayBreak(to); else tl.deleteReplayBreak();
        const r = await tl.continue({ signal, onSlice });
        if (r.reason === 'cancelled') { cancelled = true; break; }
        const dirty = new Set(tl.snapshots.dirtyPages());
        const reached = tl.icount;
        if (!pages.some((p) => dirty.has(p)) && reached >= to) continue;
        if (!pages.some((p) => dirty.has(p)) && r.reason !== 'replay-break') break; // the end of the recording
        tl.seek(from);
      }
      wp = tl.addWatchpoint(range.address, range.length, 'write');
      if (to < tl.length) tl.replayBreak(to); else tl.deleteReplayBreak();
      while (tl.icount < to) {
        const r = await tl.continue({ signal, onSlice });
        if (r.reason === 'cancelled') { cancelled = true; break; }
        if (r.reason !== 'watchpoint' || !r.watch) break;
        const after = read();
        writes.push({ icount: r.icount, pc: r.watch.pc, hart: currentHart(tl.machine, r), address: r.watch.address, size: r.watch.size, before, after });
        before = after;
      }
      tl.deleteTrap(wp.id);
      wp = undefined;
      if (tl.icount < to) break; // the program ended or the recording did
    }
  } finally {
    if (wp) tl.deleteTrap(wp.id);
    tl.deleteReplayBreak();
    if (replayBreak !== undefined) tl.replayBreak(replayBreak);
    for (const t of disabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
  }
  return { writes, cancelled };
}

interface Segment { index: number; start: bigint; end: bigint; skip: boolean }

/** Sub-slices a segment is first run in without the watchpoint (see runSegment). */
const SUB_SLICE = 1n << 18n;

/** The RAM pages (indexes from RAM_BASE) of the range, when its addresses are physical ones now; else []. */
function physicalPages(tl: Timeline, range: HistoryRange): number[] {
  const m = tl.machine;
  const lastByte = range.address + BigInt(range.length - 1);
  const identity = !m.translating() || (m.translateForDebugger(range.address) === range.address && m.translateForDebugger(lastByte) === lastByte);
  const ramBase = BigInt(RAM_BASE);
  if (!identity || range.address < ramBase || lastByte >= ramBase + BigInt(m.ramBytes)) return [];
  const pages: number[] = [];
  for (let p = Number((range.address - ramBase) / BigInt(PAGE_SIZE)); p <= Number((lastByte - ramBase) / BigInt(PAGE_SIZE)); p++) pages.push(p);
  return pages;
}

/** The snapshot segments of the timeline, each marked skippable if the range cannot have been written in it. */
export function planSegments(tl: Timeline, range: HistoryRange): { snaps: readonly Snapshot[]; segments: Segment[] } {
  const snaps = tl.snapshots.list().slice();
  const length = tl.length;
  // Pages are physical: skipping is sound only where the range's address is its physical address (no
  // translation now, or an identity mapping such as a kernel's direct map).
  const pages = physicalPages(tl, range);
  const segments: Segment[] = [];
  for (let i = 0; i < snaps.length && snaps[i].icount < length; i++) {
    const end = i + 1 < snaps.length && snaps[i + 1].icount < length ? snaps[i + 1].icount : length;
    const next = snaps[i + 1];
    // `written`: every page written (a snapshot from an image holds in `pages` only those whose contents changed).
    // A snapshot loaded from an image, whose stretch was not replayed yet, does not know them: no skipping there.
    const written = next?.written ?? (next?.execKnown ? next.pages : undefined);
    const skip = pages.length > 0 && next !== undefined && written !== undefined && next.icount === end && !pages.some((p) => written.has(p));
    segments.push({ index: i, start: snaps[i].icount, end, skip });
  }
  return { snaps, segments };
}

/** Runs forward once through the part of a timeline not yet covered by snapshots (a replay just opened), so it can be split. */
export async function exploreTimeline(tl: Timeline, signal?: AbortSignal, onSlice?: () => void): Promise<void> {
  const snaps = tl.snapshots.list();
  const last = snaps[snaps.length - 1].icount;
  if (tl.length - last <= (1n << 24n)) return;
  const here = tl.icount;
  const disabled = tl.listTraps().filter((t) => t.enabled);
  for (const t of disabled) tl.setTrapEnabled(t.id, false);
  const replayBreak = tl.info().replayBreak;
  tl.deleteReplayBreak();
  try {
    if (tl.icount < last) tl.seek(last);
    await tl.continue({ signal, onSlice });
  } finally {
    if (replayBreak !== undefined) tl.replayBreak(replayBreak);
    for (const t of disabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
    tl.seek(here);
  }
}

/** The pages of snaps (from, to] as of snapshot `to`: what a store holding snapshot `from` needs to append `to`. */
function pagesBetween(snaps: readonly Snapshot[], from: number, to: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (let i = to; i > from; i--) for (const [p, c] of snaps[i].pages) if (!out.has(p)) out.set(p, c);
  return out;
}

/**
 * Every write to `range` across the whole recording of `tl`, in icount order.
 * The timeline's position, traps and replay-break are unchanged afterwards.
 */
export async function computeValueHistory(tl: Timeline, range: HistoryRange, options: HistoryOptions = {}): Promise<ValueHistory> {
  if (!Number.isInteger(range.length) || range.length < 1 || range.length > 1 << 20) throw new HistoryError(`a history needs 1 to 1048576 bytes, not ${range.length}`);
  const { snaps, segments } = planSegments(tl, range);
  const recording = recordingOf(tl);
  const limit = replayLimit(recording);
  // Group the segments to replay into tasks of about total / (4 × workers) instructions, in icount order.
  const todo = segments.filter((s) => !s.skip);
  const total = tl.length;
  const nWorkers = options.spawn ? Math.max(1, Math.min(options.workers ?? 2, todo.length || 1)) : 0;
  const target = nWorkers > 0 ? total / BigInt(nWorkers * 4) + 1n : total + 1n;
  const tasks: { seg: Segment; end: bigint; id: number }[] = [];
  for (const s of todo) {
    const last = tasks[tasks.length - 1];
    if (last && last.end === s.start && s.end - last.seg.start <= target && s.end <= limit) { last.end = s.end; continue; }
    tasks.push({ seg: s, end: s.end, id: tasks.length });
  }
  const local = tasks.filter((t) => nWorkers === 0 || t.end > limit);
  const remote = tasks.filter((t) => !local.includes(t));
  let doneBase = segments.filter((s) => s.skip).reduce((a, s) => a + (s.end - s.start), 0n);
  const inFlight = new Map<number, bigint>();
  const writes: ValueWrite[] = [];
  let cancelled = false;
  const report = () => {
    let d = doneBase;
    for (const v of inFlight.values()) d += v;
    options.onProgress?.({ done: d, total, writes: writes.length });
  };
  report();

  const remoteRun = async (): Promise<void> => {
    if (remote.length === 0 || !options.spawn) return;
    if (!options.wasm) throw new HistoryError('history workers need the core (options.wasm)');
    // Compiled once here: each worker then only instantiates it.
    const wasm = options.wasm instanceof WebAssembly.Module ? options.wasm : await WebAssembly.compile(options.wasm as Uint8Array<ArrayBuffer>);
    const queue = [...remote];
    const channels: HistoryChannel[] = [];
    const n = Math.min(nWorkers, queue.length);
    try {
      await Promise.all(Array.from({ length: n }, async () => {
        const ch = options.spawn!();
        channels.push(ch);
        let lastSent = 0;
        let waiting: ((m: FromWorker) => void) | undefined;
        const failures: string[] = [];
        ch.onMessage((m) => {
          if (m.type === 'progress') { const t = tasks[m.id]; inFlight.set(m.id, m.icount - t.seg.start); report(); return; }
          if (m.type === 'error') failures.push(m.message);
          waiting?.(m);
        });
        const next = () => new Promise<FromWorker>((resolve) => { waiting = resolve; });
        const onAbort = () => ch.post({ type: 'cancel' });
        options.signal?.addEventListener('abort', onAbort);
        try {
          ch.post({ type: 'open', wasm, recording });
          ch.post({ type: 'begin', range });
          let m = await next();
          if (m.type === 'error') throw new HistoryError(`a history worker failed: ${m.message}`);
          for (let task = queue.shift(); task && !cancelled; task = queue.shift()) {
            const k = task.seg.index;
            const base = k === 0 ? undefined : { icount: snaps[k].icount, state: snaps[k].state, pages: pagesBetween(snaps, lastSent, k) };
            if (k > lastSent) lastSent = k;
            ch.post({ type: 'task', id: task.id, start: task.seg.start, end: task.end, ...(base ? { base } : {}) });
            m = await next();
            if (m.type === 'error') throw new HistoryError(`a history worker failed: ${failures.join('; ') || m.message}`);
            if (m.type !== 'done') throw new HistoryError(`a history worker answered ${m.type}`);
            writes.push(...m.writes);
            inFlight.delete(task.id);
            doneBase += task.end - task.seg.start;
            if (m.cancelled) cancelled = true;
            report();
          }
        } finally {
          options.signal?.removeEventListener('abort', onAbort);
        }
      }));
    } finally {
      for (const ch of channels) ch.terminate();
    }
  };

  const localRun = async (): Promise<void> => {
    if (local.length === 0) return;
    const here = tl.icount;
    try {
      for (const task of local) {
        if (options.signal?.aborted) { cancelled = true; break; }
        const r = await runSegment(tl, range, { id: task.id, start: task.seg.start, end: task.end }, options.signal, () => {
          inFlight.set(task.id, tl.icount - task.seg.start);
          report();
        });
        writes.push(...r.writes);
        inFlight.delete(task.id);
        doneBase += task.end - task.seg.start;
        report();
        if (r.cancelled) { cancelled = true; break; }
      }
    } finally {
      tl.seek(here);
    }
  };

  await Promise.all([remoteRun(), localRun()]);
  if (options.signal?.aborted) cancelled = true;
  writes.sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : 0));
  if (options.locate) for (const w of writes) Object.assign(w, options.locate(w.pc) ?? {});
  let initial = writes[0]?.before;
  if (writes.length === 0) {
    const b = tl.machine.readMemory(range.address, range.length);
    initial = b ? b.slice() : undefined;
  }
  return {
    range, writes, initial, cancelled, segments: segments.length, skipped: segments.length - todo.length, workers: nWorkers,
    replayed: tasks.reduce((a, t) => a + (t.end - t.seg.start), 0n),
  };
}

/**
 * Keeps workers alive between histories: `spawn` hands out an idle one (or starts one), and a
 * channel's terminate() gives it back. `close` ends them all. Starting a worker (loading its script,
 * instantiating the core) costs more than many histories.
 */
export function pooledSpawner(spawn: () => HistoryChannel): { spawn: () => HistoryChannel; close(): void } {
  const idle: { ch: HistoryChannel; route: (l: ((m: FromWorker) => void) | undefined) => void }[] = [];
  const all: HistoryChannel[] = [];
  return {
    spawn: () => {
      let entry = idle.pop();
      if (!entry) {
        const ch = spawn();
        all.push(ch);
        let listener: ((m: FromWorker) => void) | undefined;
        ch.onMessage((m) => listener?.(m));
        entry = { ch, route: (l) => { listener = l; } };
      }
      const e = entry;
      let broken = false;
      let released = false;
      return {
        post: (m) => e.ch.post(m),
        onMessage: (l) => e.route((m) => { if (m.type === 'error') broken = true; l(m); }),
        terminate: () => {
          if (released) return;
          released = true;
          e.route(undefined);
          if (broken) { e.ch.terminate(); all.splice(all.indexOf(e.ch), 1); } else idle.push(e);
        },
      };
    },
    close: () => { for (const ch of all.splice(0)) ch.terminate(); idle.length = 0; },
  };
}

/**
 * The worker's side: answers 'open', 'begin', 'task' and 'cancel' on a channel.
 * 'begin' opens a replay Timeline of the recording, or keeps the one it has for
 * the same recording: a task's start state is appended to its snapshots when it
 * is newer than all of them, else the Timeline seeks there from its own.
 */
export function serveHistoryWorker(port: { post(m: FromWorker): void; onMessage(listener: (m: ToWorker) => void): void }): void {
  let wasm: WebAssembly.Module | Uint8Array | undefined;
  let recording: RecordingForWorker | undefined;
  let opened: { key: string; timeline: Promise<Timeline> } | undefined;
  let range: HistoryRange | undefined;
  let controller = new AbortController();
  let chain: Promise<void> = Promise.resolve();
  const fail = (e: unknown) => port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  // The same recording again (a pooled worker): its Timeline, with the snapshots it took, serves again.
  const keyOf = (r: RecordingForWorker) => JSON.stringify([r.meta.name, r.meta.createdAt, r.meta.programSha256, r.events.length,
    r.events.length ? String(r.events[r.events.length - 1].icount) : '', r.end ? String(r.end.icount) : '']);
  port.onMessage((m) => {
    switch (m.type) {
      case 'open': wasm = m.wasm; recording = m.recording; return;
      case 'cancel': controller.abort(); return;
      case 'begin': {
        range = m.range;
        controller = new AbortController();
        const key = keyOf(recording as RecordingForWorker);
        if (!opened || opened.key !== key) {
          opened = {
            key,
            timeline: Timeline.replay(wasm as WebAssembly.Module, { ...(recording as RecordingForWorker), version: 0, validLength: 0 } as ParsedRecording,
              { useSnapshotImage: false, budgetBytes: 64 << 20 }),
          };
        }
        const timeline = opened.timeline;
        chain = chain.then(async () => { await timeline; port.post({ type: 'ready' }); }).catch(fail);
        return;
      }
      case 'task': {
        const task = m;
        const timeline = opened?.timeline;
        chain = chain.then(async () => {
          if (!timeline) throw new Error('a task before the recording was opened');
          const tl = await timeline;
          let last = 0;
          const r = await runSegment(tl, range as HistoryRange, task, controller.signal, () => {
            const now = Date.now();
            if (now - last < 50) return;
            last = now;
            port.post({ type: 'progress', id: task.id, icount: tl.icount });
          });
          port.post({ type: 'done', id: task.id, writes: r.writes, cancelled: r.cancelled });
        }).catch(fail);
        return;
      }
    }
  });
}

/** Little-endian bytes as an unsigned integer. */
export function bytesValue(b: Uint8Array | undefined): bigint | undefined {
  if (!b) return undefined;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/**
 * The write that produced the value the range holds at `icount`: the last write
 * at or before it (undefined: the value is the one it had at icount 0).
 */
export function writeBehind(history: ValueHistory, icount: bigint): ValueWrite | undefined {
  let lo = 0, hi = history.writes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (history.writes[mid].icount <= icount) lo = mid + 1; else hi = mid;
  }
  return lo > 0 ? history.writes[lo - 1] : undefined;
}
