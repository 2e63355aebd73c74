// Incremental in-memory snapshots. Each snapshot keeps the machine state and
// copies of the RAM pages written since the snapshot before it (in icount
// order); a page's content at snapshot k is its copy in the latest snapshot
// at or before k, or zeros. Restoring rewrites only the pages that can differ
// between the current state and the target: what the core marked dirty since
// the current base, plus the pages the snapshots in between changed.
//
// Memory is bounded by the budget, whatever the guest does: a snapshot that
// would not fit (after thinning) is not taken; the pages written since the
// base stay marked dirty (folded out of the core's bitmap once the memory
// digest has seen them, so they are not hashed again). Pages whose bytes are
// all one value (zeros, or memset patterns such as xv6's junk fill) share
// one copy and cost nothing.
import type { Machine, MachineState } from '../engine/machine';
import { PAGE_SIZE, type MemoryDigest } from './digest';

export interface Snapshot {
  icount: bigint;
  state: MachineState;
  pages: Map<number, Uint8Array>;
  /** 64-byte code blocks executed since the snapshot before (a superset is fine: used to skip work). */
  execBlocks: Set<number>;
  /** False for snapshots loaded from an image: which code ran before them is unknown (until a replay of that stretch learns it). */
  execKnown: boolean;
  /**
   * The pages written since the snapshot before, when that is more than
   * `pages` holds: a snapshot from an image holds only the pages whose
   * contents changed; replaying its stretch learns every page written.
   */
  written?: Set<number>;
  /** Bytes this snapshot holds (pages + state). */
  bytes: number;
}

export interface SnapshotStats {
  count: number;
  bytes: number;
}

const STATE_OVERHEAD = 8192;

/** One shared, never written copy per byte value: the page of a uniform page. */
const uniformPages = new Map<number, Uint8Array>();
function uniformPage(value: number): Uint8Array {
  let page = uniformPages.get(value);
  if (!page) { page = new Uint8Array(PAGE_SIZE).fill(value); uniformPages.set(value, page); }
  return page;
}

export class SnapshotStore {
  private snaps: Snapshot[] = [];
  /** The snapshot the current machine state derives from (pages dirtied since are in the core's bitmap). */
  private base: Snapshot | undefined;
  private totalBytes = 0;
  /** Pages written since the base whose digest is up to date, taken out of the core's bitmap (one byte per page). */
  private folded: Uint8Array;
  private anyFolded = false;

  constructor(private readonly machine: Machine, private readonly memory: MemoryDigest, public budgetBytes: number) {
    this.folded = new Uint8Array(Math.ceil(machine.pagedBytes / PAGE_SIZE / 4) * 4);
  }

  stats(): SnapshotStats { return { count: this.snaps.length, bytes: this.totalBytes }; }

  /** Changes the budget, thinning now to stay within it (as far as thinning can: later snapshots wait until they fit). */
  setBudget(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`snapshot budget must be a whole number of bytes, not ${bytes}`);
    this.budgetBytes = bytes;
    this.thin(bytes);
  }
  list(): readonly Snapshot[] { return this.snaps; }

  /** Takes the first snapshot, right after a program is loaded: every page the program occupies. */
  takeInitial(loadedPages: Iterable<number>): Snapshot {
    const pages = new Map<number, Uint8Array>();
    let bytes = 0;
    for (const p of loadedPages) { const c = this.copyPage(p); pages.set(p, c); if (!this.isShared(c)) bytes += PAGE_SIZE; }
    this.clearDirty();
    this.machine.execMap().fill(0);
    const snap = this.make(0n, pages, bytes);
    this.snaps = [snap];
    this.totalBytes = snap.bytes;
    this.base = snap;
    return snap;
  }

  /** Pages written since the base snapshot, from the core's bitmap and those folded out of it. */
  dirtyPages(): number[] {
    const bitmap = this.machine.dirtyBitmap();
    const words = new Uint32Array(bitmap.buffer, bitmap.byteOffset, bitmap.length >> 2);
    const folded = this.folded;
    const out: number[] = [];
    if (this.anyFolded) {
      const fwords = new Uint32Array(folded.buffer, folded.byteOffset, folded.length >> 2);
      for (let w = 0; w < words.length; w++) {
        if ((words[w] | fwords[w]) === 0) continue;
        for (let b = 0; b < 4; b++) if (bitmap[w * 4 + b] | folded[w * 4 + b]) out.push(w * 4 + b);
      }
      for (let p = words.length * 4; p < bitmap.length; p++) if (bitmap[p] | folded[p]) out.push(p);
      return out;
    }
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let b = 0; b < 4; b++) if (bitmap[w * 4 + b]) out.push(w * 4 + b);
    }
    for (let p = words.length * 4; p < bitmap.length; p++) if (bitmap[p]) out.push(p);
    return out;
  }

  /** Pages the core marked dirty since the last fold (not those folded already). */
  private coreDirtyPages(): number[] {
    const bitmap = this.machine.dirtyBitmap();
    const words = new Uint32Array(bitmap.buffer, bitmap.byteOffset, bitmap.length >> 2);
    const out: number[] = [];
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let b = 0; b < 4; b++) if (bitmap[w * 4 + b]) out.push(w * 4 + b);
    }
    for (let p = words.length * 4; p < bitmap.length; p++) if (bitmap[p]) out.push(p);
    return out;
  }

  private clearDirty(): void {
    this.machine.clearDirtyPages();
    if (this.anyFolded) { this.folded.fill(0); this.anyFolded = false; }
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

  /**
   * Takes a snapshot at the current position (no-op if one exists there).
   * Returns it, or undefined if it would not fit in the budget even after
   * thinning: then the pages written since the base stay dirty (the memory
   * digest has seen them) and the next snapshot holds them.
   */
  take(): Snapshot | undefined {
    const icount = this.machine.icount;
    const existing = this.at(icount);
    if (existing) { this.rebase(existing); return existing; }
    const dirty = this.dirtyPages();
    // Each page is scanned once: its uniform value, or -1 for a page to copy.
    const uniform = dirty.map((p) => this.uniformValue(p));
    let copies = 0;
    for (const v of uniform) if (v < 0) copies++;
    const cost = STATE_OVERHEAD + copies * PAGE_SIZE;
    if (this.totalBytes + cost > this.budgetBytes) this.thin(this.budgetBytes - cost);
    if (this.totalBytes + cost > this.budgetBytes) {
      this.updateMemoryDigest();
      return undefined;
    }
    const pages = new Map<number, Uint8Array>();
    const bitmap = this.machine.dirtyBitmap();
    // One allocation for all the copies (one per page costs more than the copying: an OS pass over all RAM
    // dirties tens of thousands of pages); remove() gives a page its own copy if it outlives this snapshot.
    const ram = this.machine.pagedView();
    const slab = new Uint8Array(copies * PAGE_SIZE);
    let used = 0;
    for (let i = 0; i < dirty.length; i++) {
      const p = dirty[i];
      if (uniform[i] >= 0) pages.set(p, uniformPage(uniform[i]));
      else {
        const copy = slab.subarray(used, used + PAGE_SIZE);
        copy.set(ram.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
        pages.set(p, copy);
        used += PAGE_SIZE;
      }
      // The bitmap is cleared below: the memory digest must see these pages first (folded ones it has seen).
      if (bitmap[p]) this.memory.update(p);
    }
    const snap = this.make(icount, pages, cost - STATE_OVERHEAD);
    snap.execBlocks = this.executedBlocks();
    const i = this.indexAfter(icount);
    this.snaps.splice(i, 0, snap);
    this.totalBytes += snap.bytes;
    this.clearDirty();
    this.machine.execMap().fill(0);
    this.base = snap;
    this.thin(this.budgetBytes);
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
    let bytes = STATE_OVERHEAD;
    for (const [p, c] of pages) {
      const v = uniformOf(c);
      if (v >= 0) pages.set(p, uniformPage(v)); else bytes += PAGE_SIZE;
    }
    const snap: Snapshot = { icount, state, pages, execBlocks: new Set(), execKnown: false, bytes };
    this.snaps.push(snap);
    this.totalBytes += snap.bytes;
    return snap;
  }

  /**
   * The memory digest must see every page written since the last call: feeds
   * it the pages the core marked dirty, then folds them out of the core's
   * bitmap (they stay dirty since the base), so the next call hashes only
   * what was written after this one.
   */
  updateMemoryDigest(): void {
    const pages = this.coreDirtyPages();
    if (pages.length === 0) return;
    for (const p of pages) { this.memory.update(p); this.folded[p] = 1; }
    this.anyFolded = true;
    this.machine.clearDirtyPages();
  }

  /** What a snapshot holding these pages (and a state) costs against the budget. */
  costOf(pages: Map<number, Uint8Array>): number {
    let bytes = STATE_OVERHEAD;
    for (const c of pages.values()) if (uniformOf(c) < 0) bytes += PAGE_SIZE;
    return bytes;
  }

  /** Drops every snapshot but the first (icount 0) and puts the machine in its state. */
  keepOnlyFirst(): void {
    const first = this.snaps[0];
    if (!first) throw new Error('no snapshot to keep');
    this.restore(first);
    this.snaps = [first];
    this.totalBytes = first.bytes;
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
    const versions = this.versionsAt(pages, b);
    for (const p of pages) {
      ram.set(versions.get(p) ?? zero, p * PAGE_SIZE);
      this.memory.update(p);
    }
    this.machine.restoreState(target.state);
    this.clearDirty();
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

  /**
   * The version of each of `pages` as of snapshot `index` (absent: zero). Either
   * looks each page up going back from `index`, or walks the snapshots' page
   * lists back once, whichever touches fewer entries: a seek across an OS's
   * boot restores tens of thousands of pages last written many snapshots ago.
   */
  private versionsAt(pages: Set<number>, index: number): Map<number, Uint8Array> {
    const found = new Map<number, Uint8Array>();
    let listed = 0;
    for (let i = 0; i <= index; i++) listed += this.snaps[i].pages.size;
    if (pages.size * (index + 1) <= listed) {
      for (const p of pages) { const c = this.pageAt(p, index); if (c) found.set(p, c); }
      return found;
    }
    for (let i = index; i >= 0 && found.size < pages.size; i--) {
      for (const [p, c] of this.snaps[i].pages) if (!found.has(p) && pages.has(p)) found.set(p, c);
    }
    return found;
  }

  private pageAt(page: number, index: number): Uint8Array | undefined {
    for (let i = index; i >= 0; i--) {
      const c = this.snaps[i].pages.get(page);
      if (c) return c;
    }
    return undefined;
  }

  private make(icount: bigint, pages: Map<number, Uint8Array>, pageBytes: number): Snapshot {
    return { icount, state: this.machine.captureState(), pages, execBlocks: new Set(), execKnown: true, bytes: pageBytes + STATE_OVERHEAD };
  }

  /** The byte value every byte of page p holds, or -1 if they differ. */
  private uniformValue(p: number): number {
    return uniformOf(this.machine.pagedView().subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  }

  /** Page p as a snapshot keeps it: the shared copy of a uniform page, else a copy of its bytes. */
  private copyPage(p: number): Uint8Array {
    const v = this.uniformValue(p);
    if (v >= 0) return uniformPage(v);
    return this.machine.pagedView().slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  }

  private isShared(c: Uint8Array): boolean {
    return c.length === PAGE_SIZE && uniformPages.get(c[0]) === c;
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
  private thin(target: number): void {
    while (this.totalBytes > target && this.snaps.length > 3) {
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
    if (gone.written || next.written) {
      const written = new Set(next.written ?? next.pages.keys());
      for (const p of gone.written ?? gone.pages.keys()) written.add(p);
      next.written = written;
    }
    // Pages the next snapshot lacks are its latest versions: hand them over.
    for (const [p, c] of gone.pages) {
      if (next.pages.has(p)) continue;
      // A page in the gone snapshot's slab gets its own copy, so the slab can be freed.
      next.pages.set(p, this.isShared(c) || c.buffer.byteLength === PAGE_SIZE ? c : c.slice());
      if (!this.isShared(c)) { next.bytes += PAGE_SIZE; this.totalBytes += PAGE_SIZE; }
    }
    for (const b of gone.execBlocks) next.execBlocks.add(b);
    next.execKnown = next.execKnown && gone.execKnown;
    this.snaps.splice(i, 1);
    this.totalBytes -= gone.bytes;
  }
}

/** The value all bytes of `page` hold, or -1. */
function uniformOf(page: Uint8Array): number {
  const first = page[0];
  if (page.byteOffset % 4 === 0 && page.length % 4 === 0) {
    const words = new Uint32Array(page.buffer, page.byteOffset, page.length >> 2);
    const w = (first * 0x01010101) >>> 0;
    for (let i = 0; i < words.length; i++) if (words[i] !== w) return -1;
    return first;
  }
  for (let i = 1; i < page.length; i++) if (page[i] !== first) return -1;
  return first;
}
