// Incremental in-memory snapshots. Each snapshot keeps the machine state and
// copies of the RAM pages written since the snapshot before it (in icount
// order); a page's content at snapshot k is its copy in the latest snapshot
// at or before k, or zeros. Restoring rewrites only the pages that can differ
// between the current state and the target: what the core marked dirty since
// the current base, plus the pages the snapshots in between changed.
import type { Machine, MachineState } from '../engine/machine';
import { PAGE_SIZE, type MemoryDigest } from './digest';

export interface Snapshot {
  icount: bigint;
  state: MachineState;
  pages: Map<number, Uint8Array>;
  /** 64-byte code blocks executed since the snapshot before (a superset is fine: used to skip work). */
  execBlocks: Set<number>;
  /** False for snapshots loaded from an image: which code ran before them is unknown. */
  execKnown: boolean;
  /** Bytes this snapshot holds (pages + state). */
  bytes: number;
}

export interface SnapshotStats {
  count: number;
  bytes: number;
}

const STATE_OVERHEAD = 8192;

export class SnapshotStore {
  private snaps: Snapshot[] = [];
  /** The snapshot the current machine state derives from (pages dirtied since are in the core's bitmap). */
  private base: Snapshot | undefined;
  private totalBytes = 0;

  constructor(private readonly machine: Machine, private readonly memory: MemoryDigest, public budgetBytes: number) {}

  stats(): SnapshotStats { return { count: this.snaps.length, bytes: this.totalBytes }; }
  list(): readonly Snapshot[] { return this.snaps; }

  /** Takes the first snapshot, right after a program is loaded: every page the program occupies. */
  takeInitial(loadedPages: Iterable<number>): Snapshot {
    const ram = this.machine.pagedView();
    const pages = new Map<number, Uint8Array>();
    for (const p of loadedPages) pages.set(p, ram.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
    this.machine.clearDirtyPages();
    this.machine.execMap().fill(0);
    const snap = this.make(0n, pages);
    this.snaps = [snap];
    this.totalBytes = snap.bytes;
    this.base = snap;
    return snap;
  }

  /** Pages written since the base snapshot, from the core's bitmap. */
  dirtyPages(): number[] {
    const bitmap = this.machine.dirtyBitmap();
    const words = new Uint32Array(bitmap.buffer, bitmap.byteOffset, bitmap.length >> 2);
    const out: number[] = [];
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let b = 0; b < 4; b++) if (bitmap[w * 4 + b]) out.push(w * 4 + b);
    }
    return out;
  }

  /** Code blocks executed since the base snapshot, from the core's executed-code map. */
  executedBlocks(): Set<number> {
    const map = this.machine.execMap();
    const words = new Uint32Array(map.buffer, map.byteOffset, map.length >> 2);
    const out = new Set<number>();
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let b = 0; b < 4; b++) if (map[w * 4 + b]) out.add(w * 4 + b);
    }
    return out;
  }

  /** The snapshot right after `snap` in icount order, if any. */
  next(snap: Snapshot): Snapshot | undefined {
    const i = this.snaps.indexOf(snap);
    return i >= 0 ? this.snaps[i + 1] : undefined;
  }

  /** Takes a snapshot at the current position (no-op if one exists there). Returns it. */
  take(): Snapshot {
    const icount = this.machine.icount;
    const existing = this.at(icount);
    if (existing) { this.rebase(existing); return existing; }
    const ram = this.machine.pagedView();
    const pages = new Map<number, Uint8Array>();
    const dirty = this.dirtyPages();
    for (const p of dirty) {
      pages.set(p, ram.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
      // The bitmap is cleared below: the memory digest must see these pages first.
      this.memory.update(p);
    }
    const snap = this.make(icount, pages);
    snap.execBlocks = this.executedBlocks();
    const i = this.indexAfter(icount);
    this.snaps.splice(i, 0, snap);
    this.totalBytes += snap.bytes;
    this.machine.clearDirtyPages();
    this.machine.execMap().fill(0);
    this.base = snap;
    this.thin();
    return snap;
  }

  /**
   * Adds a snapshot that comes from elsewhere (a snapshot image), after every
   * snapshot already here: `pages` must hold every page that changed since
   * the last snapshot in the store. Not thinned: the caller loads a whole image.
   */
  append(icount: bigint, state: MachineState, pages: Map<number, Uint8Array>): Snapshot {
    const last = this.snaps[this.snaps.length - 1];
    if (last && icount <= last.icount) throw new Error(`snapshots must be appended in icount order (${icount} after ${last.icount})`);
    const snap: Snapshot = { icount, state, pages, execBlocks: new Set(), execKnown: false, bytes: pages.size * PAGE_SIZE + STATE_OVERHEAD };
    this.snaps.push(snap);
    this.totalBytes += snap.bytes;
    return snap;
  }

  /** The memory digest must see every page written since the last call: feed it the dirty pages. */
  updateMemoryDigest(): void {
    for (const p of this.dirtyPages()) this.memory.update(p);
  }

  at(icount: bigint): Snapshot | undefined {
    const i = this.indexAfter(icount) - 1;
    return i >= 0 && this.snaps[i].icount === icount ? this.snaps[i] : undefined;
  }

  /** The latest snapshot at or before icount. */
  atOrBefore(icount: bigint): Snapshot {
    const i = this.indexAfter(icount) - 1;
    return this.snaps[Math.max(0, i)];
  }

  get baseSnapshot(): Snapshot | undefined { return this.base; }

  /** Puts the machine in the state of `target`. */
  restore(target: Snapshot): void {
    const from = this.base;
    if (!from) throw new Error('no snapshot to restore from');
    const pages = new Set<number>(this.dirtyPages());
    const a = this.snaps.indexOf(from);
    const b = this.snaps.indexOf(target);
    if (a < 0 || b < 0) throw new Error('snapshot is no longer in the store');
    const lo = Math.min(a, b), hi = Math.max(a, b);
    for (let i = lo + 1; i <= hi; i++) for (const p of this.snaps[i].pages.keys()) pages.add(p);
    const ram = this.machine.pagedView();
    const zero = new Uint8Array(PAGE_SIZE);
    for (const p of pages) {
      ram.set(this.pageAt(p, b) ?? zero, p * PAGE_SIZE);
      this.memory.update(p);
    }
    this.machine.restoreState(target.state);
    this.machine.clearDirtyPages();
    this.machine.execMap().fill(0);
    this.base = target;
  }

  /** Makes `snap` the base without touching RAM (the machine is already in its state). */
  private rebase(snap: Snapshot): void {
    // Only valid when the machine is exactly at snap: pages dirtied since the old base may differ from
    // snap's view, so fold them in by restoring through the normal path.
    if (this.base === snap) return;
    this.restore(snap);
  }

  private pageAt(page: number, index: number): Uint8Array | undefined {
    for (let i = index; i >= 0; i--) {
      const c = this.snaps[i].pages.get(page);
      if (c) return c;
    }
    return undefined;
  }

  private make(icount: bigint, pages: Map<number, Uint8Array>): Snapshot {
    return { icount, state: this.machine.captureState(), pages, execBlocks: new Set(), execKnown: true, bytes: pages.size * PAGE_SIZE + STATE_OVERHEAD };
  }

  /** Index of the first snapshot with icount > `icount`. */
  private indexAfter(icount: bigint): number {
    let lo = 0, hi = this.snaps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.snaps[mid].icount <= icount) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /**
   * Keeps memory within the budget: drops the snapshots whose loss hurts
   * seeking least (small gaps, far from the current position). The first,
   * the last and the current base always stay.
   */
  private thin(): void {
    while (this.totalBytes > this.budgetBytes && this.snaps.length > 3) {
      const now = this.machine.icount;
      let victim = -1;
      let best = Infinity;
      for (let i = 1; i < this.snaps.length - 1; i++) {
        if (this.snaps[i] === this.base) continue;
        const gap = Number(this.snaps[i + 1].icount - this.snaps[i - 1].icount);
        const distance = Math.abs(Number(this.snaps[i].icount - now));
        const score = gap / (1 + distance / 1e6);
        if (score < best) { best = score; victim = i; }
      }
      if (victim < 0) return;
      this.remove(victim);
    }
  }

  private remove(i: number): void {
    const gone = this.snaps[i];
    const next = this.snaps[i + 1];
    // Pages the next snapshot lacks are its latest versions: hand them over.
    for (const [p, c] of gone.pages) {
      if (!next.pages.has(p)) { next.pages.set(p, c); next.bytes += PAGE_SIZE; this.totalBytes += PAGE_SIZE; }
    }
    for (const b of gone.execBlocks) next.execBlocks.add(b);
    next.execKnown = next.execKnown && gone.execKnown;
    this.snaps.splice(i, 1);
    this.totalBytes -= gone.bytes;
  }
}
