/**
 * qcow2 images for Hindsight's snapshots: a writer that stores each snapshot
 * of a recording as a qcow2 internal snapshot, and a reader that validates
 * and reads qcow2 images (ours, and those qemu-img makes).
 *
 * Hindsight's mapping (see docs/qcow2.md): the virtual disk is guest RAM
 * (disk offset x = guest physical 0x8000_0000 + x); each snapshot is an
 * internal snapshot named after its icount, with the icount in the snapshot
 * table's extra data and the machine state (opaque bytes) as its VM state,
 * stored in the guest address space just past the disk, where QEMU keeps it.
 * Clusters that did not change between snapshots are shared via refcounts.
 *
 * This is a pure codec: no I/O, no Node APIs. It works on an {@link ImageStore}
 * (a byte array the caller persists), so the writer can report exactly which
 * byte ranges it changed and the reader can read lazily.
 *
 * Every problem with an image is reported as a {@link Qcow2Error} whose
 * message says what is wrong and where. Nothing else escapes
 * `Qcow2Image.open` or the reads, whatever bytes the image holds. Mistakes
 * by the caller (an offset outside the disk, a cluster of the wrong size)
 * are `RangeError`s.
 *
 * All on-disk integers are big-endian. Offsets and sizes are JavaScript
 * numbers; images whose fields do not fit below 2^53 are rejected.
 */

// ---------------------------------------------------------------------------
// Errors and byte stores
// ---------------------------------------------------------------------------

/** Thrown for any malformed, unsupported or inconsistent qcow2 image. */
export class Qcow2Error extends Error {
  /** Byte offset in the image file of the field or entry at fault, when there is one. */
  readonly offset?: number;

  constructor(message: string, offset?: number) {
    super(`qcow2: ${message}`);
    this.name = 'Qcow2Error';
    if (offset !== undefined) this.offset = offset;
  }
}

/** The bytes of an image file. Reads must stay within `size`; writes may extend it. */
export interface ImageStore {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  write(offset: number, bytes: Uint8Array): void;
}

/** A byte range of a store. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * An in-memory image: a growable buffer that remembers which byte ranges were
 * written since the last `clearDirty()`, so the caller can persist only those.
 */
export class MemoryImageStore implements ImageStore {
  private buf: Uint8Array;
  private length: number;
  private dirty: ByteRange[] = [];

  /** Starts with a copy of `initial` (clean), or empty. */
  constructor(initial?: Uint8Array) {
    this.length = initial ? initial.length : 0;
    this.buf = new Uint8Array(Math.max(this.length, 64 * 1024));
    if (initial) this.buf.set(initial);
  }

  get size(): number {
    return this.length;
  }

  /** A copy of `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.length) {
      throw new RangeError(`MemoryImageStore: read of ${length} bytes at ${offset} is outside the store (${this.length} bytes)`);
    }
    return this.buf.slice(offset, offset + length);
  }

  write(offset: number, bytes: Uint8Array): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`MemoryImageStore: bad write offset ${offset}`);
    const end = offset + bytes.length;
    if (end > this.buf.length) {
      // Bytes past `length` are always zero: the buffer never shrinks, so a gap reads as zeros.
      const grown = new Uint8Array(Math.max(end, Math.floor(this.buf.length * 1.5)));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(bytes, offset);
    if (end > this.length) this.length = end;
    if (bytes.length === 0) return;
    const last = this.dirty[this.dirty.length - 1];
    if (last && offset >= last.offset && offset <= last.offset + last.length) {
      last.length = Math.max(last.length, end - last.offset);
    } else {
      this.dirty.push({ offset, length: bytes.length });
    }
  }

  /** The image bytes (a view, no copy; valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** Byte ranges written since construction or the last `clearDirty()`: sorted, merged. */
  dirtyRanges(): ByteRange[] {
    const sorted = this.dirty.map((r) => ({ ...r })).sort((a, b) => a.offset - b.offset);
    const out: ByteRange[] = [];
    for (const r of sorted) {
      const prev = out[out.length - 1];
      if (prev && r.offset <= prev.offset + prev.length) {
        prev.length = Math.max(prev.length, r.offset + r.length - prev.offset);
      } else {
        out.push(r);
      }
    }
    return out;
  }

  clearDirty(): void {
    this.dirty = [];
  }
}

/** Read-only view of a byte array, for `Qcow2Image.open(bytes)`. */
class BytesStore implements ImageStore {
  constructor(private readonly data: Uint8Array) {}
  get size(): number {
    return this.data.length;
  }
  read(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.data.length) throw new RangeError('read outside the image');
    return this.data.subarray(offset, offset + length);
  }
  write(): void {
    throw new Error('qcow2: this image is read-only');
  }
}

// ---------------------------------------------------------------------------
// Constants and byte helpers
// ---------------------------------------------------------------------------

const MAGIC = 0x514649fb; // "QFI\xfb"
const TWO32 = 2 ** 32;
/** QEMU's limit on an L1 table: 32 MiB of entries. */
const MAX_L1_ENTRIES = (32 * 1024 * 1024) / 8;
/** QEMU's limit on the refcount table: 8 MiB. */
const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;
/** QEMU's limits on the snapshot table. */
const MAX_SNAPSHOTS = 65536;
const MAX_SNAPSHOT_TABLE_BYTES = 64 * 1024 * 1024;
const MAX_SNAPSHOT_EXTRA = 1024;
/** Larger virtual disks are rejected as absurd (1 PiB). */
const MAX_DISK_SIZE = 2 ** 50;
/** Larger VM states are rejected as absurd (1 GiB): readVmState must allocate them. */
const MAX_VM_STATE_SIZE = 2 ** 30;
/** The writer's limit on the disk (1 TiB). */
const MAX_WRITER_DISK_SIZE = 2 ** 40;
/** 16-bit refcounts (refcount_order 4), QEMU's default and the only width the writer uses. */
const MAX_REFCOUNT = 0xffff;
/** Extra data the writer puts in each snapshot table entry: VM state size, disk size, icount. */
const WRITER_EXTRA_SIZE = 24;
const HEADER_LENGTH = 112;

/** Incompatible feature bits. */
const INCOMPAT_DIRTY = 1;
const INCOMPAT_COMPRESSION_TYPE = 8;
const INCOMPAT_NAMES = ['dirty', 'corrupt', 'external data file', 'compression type', 'extended L2 entries'];
/** Header extension types. */
const EXT_FEATURE_NAMES = 0x6803f857;

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function be16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function be64big(b: Uint8Array, p: number): bigint {
  return (BigInt(be32(b, p)) << 32n) | BigInt(be32(b, p + 4));
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 8;
  b[p + 1] = v & 0xff;
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}

/** Writes a non-negative integer below 2^53, plus `hiFlags` (bits 32-63) OR-ed into the high word. */
function put64(b: Uint8Array, p: number, v: number, hiFlags = 0): void {
  put32(b, p, (Math.floor(v / TWO32) | hiFlags) >>> 0);
  put32(b, p + 4, v >>> 0);
}

function put64big(b: Uint8Array, p: number, v: bigint): void {
  put32(b, p, Number((v >> 32n) & 0xffffffffn));
  put32(b, p + 4, Number(v & 0xffffffffn));
}

function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

function isAllZero(b: Uint8Array): boolean {
  if (b.byteOffset % 4 === 0 && b.length % 4 === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Parsing and validation (shared by the reader and Qcow2Writer.append)
// ---------------------------------------------------------------------------

/** What a snapshot looks like to callers. */
export interface Qcow2SnapshotInfo {
  /** Unique ID string ("1", "2", ...). */
  id: string;
  name: string;
  /** The record/replay instruction count stored with the snapshot; undefined when unknown (-1) or absent. */
  icount: bigint | undefined;
  /** Bytes of VM state (0: none). */
  vmStateSize: number;
  /** When the snapshot was taken, seconds since the epoch. */
  dateSeconds: number;
  /** Virtual disk size when the snapshot was taken. */
  diskSize: number;
}

interface Header {
  version: number;
  clusterBits: number;
  clusterSize: number;
  diskSize: number;
  l1Size: number;
  l1Offset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  snapshotCount: number;
  snapshotsOffset: number;
  incompatible: bigint;
  refcountOrder: number;
  headerLength: number;
}

interface SnapshotRecord {
  info: Qcow2SnapshotInfo;
  /** "snapshot \"<id>\"", for messages. */
  label: string;
  l1Offset: number;
  l1Size: number;
  /** L2 table host offsets (0: none). */
  l1: Float64Array;
  /** Guest offset of the VM state. */
  vmStateOffset: number;
}

/** A validated image. L2 tables are decoded: > 0 data at that host offset; < 0 reads as zeros but allocated at -v; 0 unallocated. */
interface ParsedImage {
  store: ImageStore;
  fileSize: number;
  header: Header;
  l2Entries: number;
  /** Bytes of guest disk one L2 table maps. */
  coverage: number;
  activeL1: Float64Array;
  snapshots: SnapshotRecord[];
  l2Tables: Map<number, Float64Array>;
  /** L2 offsets whose on-disk entries carry a "copied" flag. */
  l2WithCopiedFlags: Set<number>;
  refcountBlocks: number[];
  snapshotTableLength: number;
}

/** What a host cluster holds, as far as the metadata says. */
const Role = {
  Free: 0,
  Header: 1,
  ActiveL1: 2,
  RefcountTable: 3,
  RefcountBlock: 4,
  SnapshotTable: 5,
  SnapshotL1: 6,
  L2Table: 7,
} as const;
type Role = (typeof Role)[keyof typeof Role];

const ROLE_NAMES = ['', 'the header', 'the active L1 table', 'the refcount table', 'a refcount block', 'the snapshot table', "a snapshot's L1 table", 'an L2 table'];

class Parser {
  private readonly size: number;
  private cs = 0;
  private roles = new Uint8Array(0);

  constructor(private readonly store: ImageStore) {
    const size = store.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new Qcow2Error(`the store reports an invalid size (${String(size)})`);
    this.size = size;
  }

  /** Reads bytes known to lie within the file. */
  private read(offset: number, length: number, what: string): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new Qcow2Error(`${what} at ${hex(offset)} (${length} bytes) runs past the end of the file (${hex(this.size)} bytes)`, offset);
    }
    return readStore(this.store, offset, length);
  }

  /** A u64 field that must be a JavaScript safe integer. */
  private u64(b: Uint8Array, p: number, what: string, at: number): number {
    const hi = be32(b, p);
    if (hi >= 0x200000) throw new Qcow2Error(`${what} ${hex(be64big(b, p))} is absurd`, at);
    return hi * TWO32 + be32(b, p + 4);
  }

  parse(): ParsedImage {
    const header = this.parseHeader();
    const cs = header.clusterSize;
    const l2Entries = cs / 8;
    const coverage = l2Entries * cs;
    this.roles = new Uint8Array(ceilDiv(this.size, cs));
    this.roles[0] = Role.Header;

    // Active L1 table.
    const needed = ceilDiv(header.diskSize, coverage);
    if (header.l1Size < needed) {
      throw new Qcow2Error(`the active L1 table has ${header.l1Size} entries, too few for a disk of ${header.diskSize} bytes (needs ${needed})`, 36);
    }
    this.claimTable('the active L1 table', header.l1Offset, header.l1Size * 8, Role.ActiveL1, 40);

    // Refcount table and blocks.
    if (header.refcountTableClusters === 0) throw new Qcow2Error('the refcount table is empty (refcount_table_clusters is 0)', 56);
    if (header.refcountTableClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
      throw new Qcow2Error(`refcount_table_clusters ${header.refcountTableClusters} is absurd (more than ${MAX_REFCOUNT_TABLE_BYTES} bytes)`, 56);
    }
    this.claimTable('the refcount table', header.refcountTableOffset, header.refcountTableClusters * cs, Role.RefcountTable, 48);
    const rt = this.read(header.refcountTableOffset, header.refcountTableClusters * cs, 'the refcount table');
    const refcountBlocks: number[] = [];
    for (let i = 0; i < rt.length / 8; i++) {
      const at = header.refcountTableOffset + i * 8;
      const off = this.u64(rt, i * 8, 'refcount table entry', at);
      if (off === 0) continue;
      if (off % cs !== 0) throw new Qcow2Error(`refcount table entry at ${hex(at)} points to ${hex(off)}, which is not cluster aligned`, at);
      if (off + cs > this.size) {
        throw new Qcow2Error(`refcount table entry at ${hex(at)} points to ${hex(off)}, beyond the end of the file (${hex(this.size)} bytes)`, at);
      }
      this.claim(off / cs, 1, Role.RefcountBlock, `refcount table entry at ${hex(at)} points to ${hex(off)}`, at);
      while (refcountBlocks.length < i) refcountBlocks.push(0);
      refcountBlocks.push(off);
    }

    // Snapshot table.
    const { snapshots, tableLength } = this.parseSnapshots(header, coverage);

    // L1 tables: claim every L2 table they reference.
    const activeL1 = this.readL1(header.l1Offset, header.l1Size, 'active L1 table');
    const l1s: { l1: Float64Array; offset: number }[] = [{ l1: activeL1, offset: header.l1Offset }];
    for (const s of snapshots) {
      s.l1 = this.readL1(s.l1Offset, s.l1Size, `${s.label}'s L1 table`);
      l1s.push({ l1: s.l1, offset: s.l1Offset });
    }
    const l2Origin = new Map<number, number>();
    for (const { l1, offset } of l1s) {
      for (let i = 0; i < l1.length; i++) {
        const l2 = l1[i];
        if (l2 === 0 || l2Origin.has(l2)) continue;
        const at = offset + i * 8;
        this.claim(l2 / cs, 1, Role.L2Table, `L1 table entry at ${hex(at)} points to ${hex(l2)}`, at);
        l2Origin.set(l2, at);
      }
    }

    // L2 tables: validate every entry against the metadata now known.
    const l2Tables = new Map<number, Float64Array>();
    const l2WithCopiedFlags = new Set<number>();
    for (const l2 of l2Origin.keys()) {
      const { table, copiedFlags } = this.readL2(l2, header.version);
      l2Tables.set(l2, table);
      if (copiedFlags) l2WithCopiedFlags.add(l2);
    }

    return {
      store: this.store,
      fileSize: this.size,
      header,
      l2Entries,
      coverage,
      activeL1,
      snapshots,
      l2Tables,
      l2WithCopiedFlags,
      refcountBlocks,
      snapshotTableLength: tableLength,
    };
  }

  private parseHeader(): Header {
    if (this.size < 72) throw new Qcow2Error(`the file is too short for a qcow2 header (${this.size} bytes)`, 0);
    const h = this.read(0, Math.min(this.size, 104), 'the header');
    const magic = be32(h, 0);
    if (magic !== MAGIC) throw new Qcow2Error(`bad magic ${hex(magic)} (expected ${hex(MAGIC)}, "QFI\\xfb"): not a qcow2 image`, 0);
    const version = be32(h, 4);
    if (version !== 2 && version !== 3) throw new Qcow2Error(`unsupported version ${version} (only 2 and 3 are supported)`, 4);
    if (version === 3 && this.size < 104) throw new Qcow2Error(`the file is too short for a version 3 header (${this.size} bytes)`, 0);
    const backing = be64big(h, 8);
    if (backing !== 0n) throw new Qcow2Error(`backing files are not supported (backing_file_offset ${hex(backing)})`, 8);
    const clusterBits = be32(h, 20);
    if (clusterBits < 9 || clusterBits > 21) throw new Qcow2Error(`cluster_bits ${clusterBits} is out of range (9 to 21)`, 20);
    const cs = 2 ** clusterBits;
    this.cs = cs;
    const diskSize = this.u64(h, 24, 'disk size', 24);
    if (diskSize > MAX_DISK_SIZE) throw new Qcow2Error(`disk size ${hex(diskSize)} is absurd (more than ${hex(MAX_DISK_SIZE)})`, 24);
    const crypt = be32(h, 32);
    if (crypt !== 0) throw new Qcow2Error(`encrypted images are not supported (crypt_method ${crypt})`, 32);
    const l1Size = be32(h, 36);
    if (l1Size > MAX_L1_ENTRIES) throw new Qcow2Error(`l1_size ${l1Size} is absurd (more than ${MAX_L1_ENTRIES} entries)`, 36);
    const l1Offset = this.u64(h, 40, 'L1 table offset', 40);
    const refcountTableOffset = this.u64(h, 48, 'refcount table offset', 48);
    const refcountTableClusters = be32(h, 56);
    const snapshotCount = be32(h, 60);
    if (snapshotCount > MAX_SNAPSHOTS) throw new Qcow2Error(`nb_snapshots ${snapshotCount} is absurd (more than ${MAX_SNAPSHOTS})`, 60);
    const snapshotsOffset = this.u64(h, 64, 'snapshot table offset', 64);

    let incompatible = 0n;
    let refcountOrder = 4;
    let headerLength = 72;
    if (version === 3) {
      incompatible = be64big(h, 72);
      refcountOrder = be32(h, 96);
      if (refcountOrder > 6) throw new Qcow2Error(`refcount_order ${refcountOrder} is out of range (0 to 6)`, 96);
      headerLength = be32(h, 100);
      if (headerLength < 104 || headerLength % 8 !== 0 || headerLength > cs || headerLength > this.size) {
        throw new Qcow2Error(`header_length ${headerLength} is invalid (a multiple of 8, at least 104, within the first cluster and the file)`, 100);
      }
    }
    const featureNames = this.parseExtensions(headerLength);

    const supported = BigInt(INCOMPAT_DIRTY | INCOMPAT_COMPRESSION_TYPE);
    const unsupported = incompatible & ~supported;
    if (unsupported !== 0n) {
      const names: string[] = [];
      for (let bit = 0; bit < 64; bit++) {
        if (((unsupported >> BigInt(bit)) & 1n) === 0n) continue;
        const name = featureNames.get(bit) ?? INCOMPAT_NAMES[bit];
        names.push(name ? `bit ${bit} (${name})` : `bit ${bit}`);
      }
      throw new Qcow2Error(`unsupported incompatible features: ${names.join(', ')}`, 72);
    }
    if (snapshotCount > 0 && snapshotsOffset % cs !== 0) {
      throw new Qcow2Error(`the snapshot table offset ${hex(snapshotsOffset)} is not cluster aligned`, 64);
    }
    return {
      version,
      clusterBits,
      clusterSize: cs,
      diskSize,
      l1Size,
      l1Offset,
      refcountTableOffset,
      refcountTableClusters,
      snapshotCount,
      snapshotsOffset,
      incompatible,
      refcountOrder,
      headerLength,
    };
  }

  /** Walks the header extensions (within the first cluster); returns incompatible-feature names from the feature name table. */
  private parseExtensions(start: number): Map<number, string> {
    const names = new Map<number, string>();
    const limit = Math.min(this.cs, this.size);
    let pos = start;
    for (;;) {
      if (pos === limit) break; // no end marker, but nothing more fits: QEMU accepts this too
      if (pos + 8 > limit) throw new Qcow2Error(`the header extension at ${hex(pos)} runs past the end of the first cluster or the file`, pos);
      const b = this.read(pos, 8, 'a header extension');
      const type = be32(b, 0);
      const length = be32(b, 4);
      if (type === 0) break;
      const padded = ceilDiv(length, 8) * 8;
      if (pos + 8 + padded > limit) {
        throw new Qcow2Error(`the header extension at ${hex(pos)} (type ${hex(type)}, ${length} bytes) runs past the end of the first cluster or the file`, pos);
      }
      if (type === EXT_FEATURE_NAMES) {
        const data = this.read(pos + 8, length, 'the feature name table');
        for (let e = 0; e + 48 <= data.length; e += 48) {
          if (data[e] !== 0 || data[e + 1] > 63) continue;
          let end = e + 2;
          while (end < e + 48 && data[end] !== 0) end++;
          names.set(data[e + 1], new TextDecoder('utf-8', { fatal: false }).decode(data.subarray(e + 2, end)));
        }
      }
      pos += 8 + padded;
    }
    return names;
  }

  /** Checks a contiguous table (alignment, not the header, within the file) and claims its clusters. */
  private claimTable(what: string, offset: number, bytes: number, role: Role, fieldOffset: number): void {
    if (bytes === 0) return;
    if (offset % this.cs !== 0) throw new Qcow2Error(`${what} offset ${hex(offset)} is not cluster aligned`, fieldOffset);
    if (offset === 0) throw new Qcow2Error(`${what} is at offset 0, on top of the header`, fieldOffset);
    if (offset + bytes > this.size) {
      throw new Qcow2Error(`${what} at ${hex(offset)} (${bytes} bytes) runs past the end of the file (${hex(this.size)} bytes)`, fieldOffset);
    }
    this.claim(offset / this.cs, ceilDiv(bytes, this.cs), role, `${what} at ${hex(offset)}`, fieldOffset);
  }

  /** Marks clusters as holding a metadata structure; two different structures may not share a cluster. */
  private claim(first: number, count: number, role: Role, what: string, at: number): void {
    for (let c = first; c < first + count; c++) {
      if (c >= this.roles.length) throw new Qcow2Error(`${what} runs past the end of the file (${hex(this.size)} bytes)`, at);
      const had = this.roles[c] as Role;
      if (had !== Role.Free) {
        throw new Qcow2Error(`${what} overlaps ${ROLE_NAMES[had]} (cluster at ${hex(c * this.cs)})`, at);
      }
      this.roles[c] = role;
    }
  }

  private parseSnapshots(header: Header, coverage: number): { snapshots: SnapshotRecord[]; tableLength: number } {
    const snapshots: SnapshotRecord[] = [];
    if (header.snapshotCount === 0) return { snapshots, tableLength: 0 };
    const start = header.snapshotsOffset;
    if (start === 0) throw new Qcow2Error('the snapshot table is at offset 0, on top of the header', 64);
    const decoder = new TextDecoder('utf-8', { fatal: false });
    let pos = start;
    for (let i = 0; i < header.snapshotCount; i++) {
      const where = `snapshot table entry ${i}`;
      if (pos + 40 > this.size) throw new Qcow2Error(`${where} at ${hex(pos)} runs past the end of the file (${hex(this.size)} bytes)`, pos);
      const e = this.read(pos, 40, where);
      const l1Offset = this.u64(e, 0, `${where}: L1 table offset`, pos);
      const l1Size = be32(e, 8);
      const idLength = be16(e, 12);
      const nameLength = be16(e, 14);
      const dateSeconds = be32(e, 16);
      const vmState32 = be32(e, 32);
      const extraSize = be32(e, 36);
      if (extraSize > MAX_SNAPSHOT_EXTRA) throw new Qcow2Error(`${where}: extra data size ${extraSize} is absurd (more than ${MAX_SNAPSHOT_EXTRA})`, pos + 36);
      // Entries are padded to 8 bytes, but QEMU does not write the last entry's padding.
      const used = 40 + extraSize + idLength + nameLength;
      const entryLength = ceilDiv(used, 8) * 8;
      if (pos + used > this.size) {
        throw new Qcow2Error(`${where} at ${hex(pos)} (${used} bytes) runs past the end of the file (${hex(this.size)} bytes)`, pos);
      }
      if (pos + entryLength - start > MAX_SNAPSHOT_TABLE_BYTES) {
        throw new Qcow2Error(`the snapshot table is absurdly large (more than ${MAX_SNAPSHOT_TABLE_BYTES} bytes)`, pos);
      }
      const rest = this.read(pos + 40, used - 40, where);
      let vmStateSize = vmState32;
      let diskSize = header.diskSize;
      let icount: bigint | undefined;
      if (extraSize >= 8) vmStateSize = this.u64(rest, 0, `${where}: VM state size`, pos + 40);
      if (extraSize >= 16) diskSize = this.u64(rest, 8, `${where}: disk size`, pos + 48);
      if (extraSize >= 24) {
        const v = be64big(rest, 16);
        icount = v === 0xffffffffffffffffn ? undefined : v;
      }
      const id = decoder.decode(rest.subarray(extraSize, extraSize + idLength));
      const label = `snapshot ${JSON.stringify(id.length > 32 ? `${id.slice(0, 32)}...` : id)}`;
      const name = decoder.decode(rest.subarray(extraSize + idLength, extraSize + idLength + nameLength));
      if (diskSize > MAX_DISK_SIZE) throw new Qcow2Error(`${where}: disk size ${hex(diskSize)} is absurd (more than ${hex(MAX_DISK_SIZE)})`, pos + 48);
      if (l1Size > MAX_L1_ENTRIES) throw new Qcow2Error(`${where}: L1 size ${l1Size} is absurd (more than ${MAX_L1_ENTRIES} entries)`, pos + 8);
      const needed = ceilDiv(diskSize, coverage);
      if (l1Size < needed) {
        throw new Qcow2Error(`${where}: its L1 table has ${l1Size} entries, too few for a disk of ${diskSize} bytes (needs ${needed})`, pos + 8);
      }
      const vmStateOffset = needed * coverage;
      if (vmStateSize > MAX_VM_STATE_SIZE) {
        throw new Qcow2Error(`${where}: VM state size ${vmStateSize} is absurd (more than ${MAX_VM_STATE_SIZE} bytes)`, pos + (extraSize >= 8 ? 40 : 32));
      }
      if (vmStateOffset + vmStateSize > l1Size * coverage) {
        throw new Qcow2Error(`${where}: its VM state (${vmStateSize} bytes) extends past what its L1 table (${l1Size} entries) maps`, pos + (extraSize >= 8 ? 40 : 32));
      }
      this.claimTable(`${label}'s L1 table`, l1Offset, l1Size * 8, Role.SnapshotL1, pos);
      snapshots.push({
        info: { id, name, icount, vmStateSize, dateSeconds, diskSize },
        label,
        l1Offset,
        l1Size,
        l1: new Float64Array(0),
        vmStateOffset,
      });
      pos += entryLength;
    }
    const tableLength = pos - start;
    this.claim(start / this.cs, ceilDiv(tableLength, this.cs), Role.SnapshotTable, `the snapshot table at ${hex(start)}`, 64);
    return { snapshots, tableLength };
  }

  /** Reads an L1 table (already claimed) and checks its entries' L2 offsets. */
  private readL1(offset: number, entries: number, what: string): Float64Array {
    const l1 = new Float64Array(entries);
    if (entries === 0) return l1;
    const b = this.read(offset, entries * 8, what);
    for (let i = 0; i < entries; i++) {
      const at = offset + i * 8;
      const hi = be32(b, i * 8);
      const lo = be32(b, i * 8 + 4);
      const off = (hi & 0x00ffffff) * TWO32 + ((lo & 0xfffffe00) >>> 0);
      if (off === 0) continue;
      if (off % this.cs !== 0 || (lo & 0x1ff) !== 0) {
        throw new Qcow2Error(`L1 table entry at ${hex(at)} points to ${hex(off)}, which is not cluster aligned`, at);
      }
      if (off + this.cs > this.size) {
        throw new Qcow2Error(`L1 table entry at ${hex(at)} points to ${hex(off)}, beyond the end of the file (${hex(this.size)} bytes)`, at);
      }
      l1[i] = off;
    }
    return l1;
  }

  /** Reads and validates one L2 table; returns it decoded. */
  private readL2(offset: number, version: number): { table: Float64Array; copiedFlags: boolean } {
    const n = this.cs / 8;
    const b = this.read(offset, this.cs, 'an L2 table');
    const table = new Float64Array(n);
    let copiedFlags = false;
    for (let j = 0; j < n; j++) {
      const at = offset + j * 8;
      const hi = be32(b, j * 8);
      const lo = be32(b, j * 8 + 4);
      if (hi === 0 && lo === 0) continue;
      if (hi & 0x40000000) throw new Qcow2Error(`L2 table entry at ${hex(at)} describes a compressed cluster; compressed clusters are not supported`, at);
      const copied = (hi & 0x80000000) !== 0;
      if (copied) copiedFlags = true;
      const zero = version >= 3 && (lo & 1) !== 0;
      const off = (hi & 0x00ffffff) * TWO32 + ((lo & 0xfffffe00) >>> 0);
      if ((lo & 0x1fe) !== 0 || (version < 3 && (lo & 1) !== 0)) {
        throw new Qcow2Error(`L2 table entry at ${hex(at)} has reserved bits set (${hex(be64big(b, j * 8))})`, at);
      }
      if (off === 0) {
        if (copied) throw new Qcow2Error(`L2 table entry at ${hex(at)} points to offset 0, the header`, at);
        continue; // unallocated, or reads as zeros
      }
      if (off % this.cs !== 0) throw new Qcow2Error(`L2 table entry at ${hex(at)} points to ${hex(off)}, which is not cluster aligned`, at);
      if (off >= this.size) {
        throw new Qcow2Error(`L2 table entry at ${hex(at)} points to ${hex(off)}, beyond the end of the file (${hex(this.size)} bytes)`, at);
      }
      const role = this.roles[off / this.cs] as Role;
      if (role !== Role.Free) throw new Qcow2Error(`L2 table entry at ${hex(at)} points to ${hex(off)}, which holds ${ROLE_NAMES[role]}`, at);
      table[j] = zero ? -off : off;
    }
    return { table, copiedFlags };
  }
}

function readStore(store: ImageStore, offset: number, length: number): Uint8Array {
  let b: Uint8Array;
  try {
    b = store.read(offset, length);
  } catch (e) {
    throw new Qcow2Error(`reading ${length} bytes at ${hex(offset)} failed: ${e instanceof Error ? e.message : String(e)}`, offset);
  }
  if (!(b instanceof Uint8Array) || b.length !== length) {
    throw new Qcow2Error(`reading ${length} bytes at ${hex(offset)} returned ${b instanceof Uint8Array ? b.length : 'no'} bytes`, offset);
  }
  return b;
}

/** The snapshot table's bytes, with the last entry's padding (which QEMU may leave out of the file). */
function readSnapshotTable(img: ParsedImage): Uint8Array {
  const table = new Uint8Array(img.snapshotTableLength);
  const start = img.header.snapshotsOffset;
  const present = Math.min(img.snapshotTableLength, img.fileSize - start);
  if (present > 0) table.set(readStore(img.store, start, present));
  return table;
}

/** Runs `f`, turning anything but a Qcow2Error into one (a bug in this module, which the tests look for). */
function guarded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Qcow2Error || (e instanceof RangeError && e.message.startsWith('Qcow2Image'))) throw e;
    throw new Qcow2Error(`internal error while reading the image: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseImage(store: ImageStore): ParsedImage {
  return guarded(() => new Parser(store).parse());
}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

/**
 * A validated qcow2 image, version 2 or 3: no backing file, no encryption, no
 * external data file, no extended L2 entries, no compressed clusters. `open`
 * checks the header, every L1 and L2 table (active and snapshots), the
 * refcount table and the snapshot table; the data is read on demand. The
 * metadata is read once, at `open`: reopen after writing to the store.
 */
export class Qcow2Image {
  readonly diskSize: number;
  readonly clusterSize: number;
  readonly clusterBits: number;
  readonly version: number;
  private readonly records: SnapshotRecord[];
  private readonly byInfo = new WeakMap<Qcow2SnapshotInfo, SnapshotRecord>();

  private constructor(private readonly img: ParsedImage) {
    this.diskSize = img.header.diskSize;
    this.clusterSize = img.header.clusterSize;
    this.clusterBits = img.header.clusterBits;
    this.version = img.header.version;
    this.records = img.snapshots;
    for (const r of this.records) this.byInfo.set(r.info, r);
  }

  /** Validates the image; throws Qcow2Error if it is malformed or uses unsupported features. */
  static open(source: ImageStore | Uint8Array): Qcow2Image {
    const store = source instanceof Uint8Array ? new BytesStore(source) : source;
    return new Qcow2Image(parseImage(store));
  }

  /** The snapshots, in table order. */
  snapshots(): Qcow2SnapshotInfo[] {
    return this.records.map((r) => r.info);
  }

  /** Bytes [offset, offset + length) of the disk as of a snapshot (or the active image). Unallocated clusters read as zeros. */
  readDisk(snapshot: Qcow2SnapshotInfo | 'active', offset: number, length: number): Uint8Array {
    const { l1, diskSize } = this.view(snapshot);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > diskSize) {
      throw new RangeError(`Qcow2Image: read of ${length} bytes at ${offset} is outside the disk (${diskSize} bytes)`);
    }
    return guarded(() => this.readGuest(l1, offset, length));
  }

  /** Guest cluster indexes (guest offset / cluster size) that hold data in that snapshot; all others read as zeros. */
  allocatedClusters(snapshot: Qcow2SnapshotInfo | 'active'): number[] {
    const { l1, diskSize } = this.view(snapshot);
    const diskClusters = ceilDiv(diskSize, this.clusterSize);
    const n = this.img.l2Entries;
    const out: number[] = [];
    for (let i = 0; i < l1.length && i * n < diskClusters; i++) {
      if (l1[i] === 0) continue;
      const t = this.img.l2Tables.get(l1[i]);
      if (!t) continue;
      for (let j = 0; j < n && i * n + j < diskClusters; j++) if (t[j] > 0) out.push(i * n + j);
    }
    return out;
  }

  /**
   * Guest clusters whose contents may differ between two snapshots: those
   * whose mapping differs (clusters shared through copy-on-write are equal).
   * `from` undefined means an all-zero disk. Cheap: it compares tables, not data.
   */
  changedClusters(from: Qcow2SnapshotInfo | undefined, to: Qcow2SnapshotInfo | 'active'): number[] {
    const b = this.view(to);
    if (from === undefined) return this.allocatedClusters(to);
    const a = this.view(from);
    const diskClusters = ceilDiv(Math.max(a.diskSize, b.diskSize), this.clusterSize);
    const n = this.img.l2Entries;
    const out: number[] = [];
    const tables = Math.max(a.l1.length, b.l1.length);
    for (let i = 0; i < tables && i * n < diskClusters; i++) {
      const la = i < a.l1.length ? a.l1[i] : 0;
      const lb = i < b.l1.length ? b.l1[i] : 0;
      if (la === lb) continue; // the same L2 table: nothing differs in this range
      const ta = la !== 0 ? this.img.l2Tables.get(la) : undefined;
      const tb = lb !== 0 ? this.img.l2Tables.get(lb) : undefined;
      for (let j = 0; j < n && i * n + j < diskClusters; j++) {
        const ha = ta ? Math.max(ta[j], 0) : 0;
        const hb = tb ? Math.max(tb[j], 0) : 0;
        if (ha !== hb) out.push(i * n + j);
      }
    }
    return out;
  }

  /** The snapshot's VM state (empty if it has none). */
  readVmState(snapshot: Qcow2SnapshotInfo): Uint8Array {
    const r = this.record(snapshot);
    return guarded(() => this.readGuest(r.l1, r.vmStateOffset, r.info.vmStateSize));
  }

  private record(snapshot: Qcow2SnapshotInfo): SnapshotRecord {
    const r = this.byInfo.get(snapshot) ?? this.records.find((x) => x.info.id === snapshot.id && x.info.name === snapshot.name);
    if (!r) throw new RangeError(`Qcow2Image: no snapshot with id ${JSON.stringify(snapshot.id)} and name ${JSON.stringify(snapshot.name)}`);
    return r;
  }

  private view(snapshot: Qcow2SnapshotInfo | 'active'): { l1: Float64Array; diskSize: number } {
    if (snapshot === 'active') return { l1: this.img.activeL1, diskSize: this.diskSize };
    const r = this.record(snapshot);
    return { l1: r.l1, diskSize: r.info.diskSize };
  }

  private readGuest(l1: Float64Array, offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const cs = this.clusterSize;
    const n = this.img.l2Entries;
    const fileSize = this.img.fileSize;
    let done = 0;
    while (done < length) {
      const g = offset + done;
      const cluster = Math.floor(g / cs);
      const within = g - cluster * cs;
      const piece = Math.min(cs - within, length - done);
      const l1i = Math.floor(cluster / n);
      const l2 = l1i < l1.length ? l1[l1i] : 0;
      const t = l2 !== 0 ? this.img.l2Tables.get(l2) : undefined;
      const host = t ? t[cluster - l1i * n] : 0;
      if (host > 0) {
        // A data cluster may start near the end of the file; bytes past the end read as zeros, as in QEMU.
        const avail = Math.min(piece, fileSize - (host + within));
        if (avail > 0) out.set(readStore(this.img.store, host + within, avail), done);
      }
      done += piece;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

export interface SnapshotInput {
  /** Record/replay instruction count at the snapshot. Stored in the snapshot table (ICOUNT). */
  icount: bigint;
  /** Default: `icount-<icount>`. Names must be unique in the image. */
  name?: string;
  /** Default: now. */
  dateSeconds?: number;
  /** The machine state, opaque to qcow2; stored as the snapshot's VM state. */
  vmState: Uint8Array;
  /**
   * Guest-disk clusters (index = guest offset / cluster size) whose content
   * changed since the previous snapshot (or since creation), with their full
   * contents (exactly one cluster each). All-zero contents are stored as
   * unallocated clusters.
   */
  changedClusters: Map<number, Uint8Array>;
}

export interface Qcow2CreateOptions {
  /** Virtual disk size in bytes: a positive multiple of the cluster size. */
  diskSize: number;
  /** log2 of the cluster size. Default 12 (4 KiB, one page). 9 to 16 all work; 16 is QEMU's default. */
  clusterBits?: 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16;
}

interface WriterState {
  store: ImageStore;
  clusterBits: number;
  diskSize: number;
  l1Offset: number;
  l1Size: number;
  l1: Float64Array;
  l2: (Float64Array | undefined)[];
  refcounts: Uint16Array;
  hostClusters: number;
  refcountTable: number[];
  refcountTableOffset: number;
  refcountTableClusters: number;
  snapshotTable: Uint8Array;
  snapshotsOffset: number;
  snapshotCount: number;
  names: Set<string>;
  nextId: number;
  /** L1 indexes of active L2 tables whose on-disk entries may carry "copied" flags that must be recomputed. */
  flagsToRecompute: Set<number>;
}

/**
 * Writes Hindsight snapshots into a qcow2 v3 image, incrementally: adding a
 * snapshot writes the changed clusters, the VM state, the snapshot's L1
 * table, the L2 tables it had to copy, the refcounts that changed and the
 * snapshot table entry, and nothing else. Each call leaves a complete,
 * consistent image (`qemu-img check` clean).
 */
export class Qcow2Writer {
  readonly clusterBits: number;
  readonly clusterSize: number;
  readonly diskSize: number;
  private readonly store: ImageStore;
  private readonly l2Entries: number;
  private readonly diskClusters: number;
  private readonly l1Offset: number;
  private readonly l1Size: number;
  private readonly l1: Float64Array;
  private readonly l2: (Float64Array | undefined)[];
  private readonly refcountsPerBlock: number;
  private rc: Uint16Array;
  private hostClusters: number;
  private freeHint = 1;
  private rt: number[];
  private rtOffset: number;
  private rtClusters: number;
  private snapshotTable: Uint8Array;
  private snapshotsOffset: number;
  private count: number;
  private readonly names: Set<string>;
  private nextId: number;
  private readonly flagsToRecompute: Set<number>;
  /** Entries of the on-disk active L1 table (more than l1Size in some appended images). */
  private activeL1Entries = 0;

  // Pending writes, flushed at the end of each operation.
  private readonly dirtyL2 = new Set<number>();
  private l1Dirty = false;
  private readonly dirtyBlockLo: number[] = [];
  private readonly dirtyBlockHi: number[] = [];
  private readonly newBlocks = new Set<number>();
  private readonly rtDirtyEntries = new Set<number>();
  private rtRewrite = false;
  private headerRefcountDirty = false;

  private constructor(s: WriterState) {
    this.store = s.store;
    this.clusterBits = s.clusterBits;
    this.clusterSize = 2 ** s.clusterBits;
    this.diskSize = s.diskSize;
    this.l2Entries = this.clusterSize / 8;
    this.diskClusters = s.diskSize / this.clusterSize;
    this.l1Offset = s.l1Offset;
    this.l1Size = s.l1Size;
    this.l1 = s.l1;
    this.l2 = s.l2;
    this.refcountsPerBlock = this.clusterSize / 2;
    this.rc = s.refcounts;
    this.hostClusters = s.hostClusters;
    this.rt = s.refcountTable;
    this.rtOffset = s.refcountTableOffset;
    this.rtClusters = s.refcountTableClusters;
    this.snapshotTable = s.snapshotTable;
    this.snapshotsOffset = s.snapshotsOffset;
    this.count = s.snapshotCount;
    this.names = s.names;
    this.nextId = s.nextId;
    this.flagsToRecompute = s.flagsToRecompute;
  }

  /** Starts a new image in an empty store: header, refcount table and block, an empty active L1 table. */
  static create(store: ImageStore, options: Qcow2CreateOptions): Qcow2Writer {
    const clusterBits = options.clusterBits ?? 12;
    if (!Number.isInteger(clusterBits) || clusterBits < 9 || clusterBits > 16) throw new RangeError(`Qcow2Writer: clusterBits ${clusterBits} is not in 9..16`);
    const cs = 2 ** clusterBits;
    const { diskSize } = options;
    if (!Number.isSafeInteger(diskSize) || diskSize <= 0 || diskSize % cs !== 0 || diskSize > MAX_WRITER_DISK_SIZE) {
      throw new RangeError(`Qcow2Writer: disk size ${diskSize} must be a positive multiple of the cluster size (${cs}), at most ${MAX_WRITER_DISK_SIZE}`);
    }
    if (store.size !== 0) throw new RangeError(`Qcow2Writer: the store must be empty to create an image (it holds ${store.size} bytes)`);
    const coverage = (cs / 8) * cs;
    const l1Size = ceilDiv(diskSize, coverage);
    const l1Clusters = ceilDiv(l1Size * 8, cs);
    // Layout: header, refcount table (one cluster), active L1; refcount blocks follow.
    const hostClusters = 2 + l1Clusters;
    const refcounts = new Uint16Array(Math.max(1024, hostClusters * 2));
    refcounts.fill(1, 0, hostClusters);
    const w = new Qcow2Writer({
      store,
      clusterBits,
      diskSize,
      l1Offset: 2 * cs,
      l1Size,
      l1: new Float64Array(l1Size),
      l2: new Array<Float64Array | undefined>(l1Size).fill(undefined),
      refcounts,
      hostClusters,
      refcountTable: [],
      refcountTableOffset: cs,
      refcountTableClusters: 1,
      snapshotTable: new Uint8Array(0),
      snapshotsOffset: 0,
      snapshotCount: 0,
      names: new Set(),
      nextId: 1,
      flagsToRecompute: new Set(),
    });
    for (let c = 0; c < hostClusters; c++) w.markRefcountDirty(c);
    w.ensureRefcountCoverage();
    store.write(0, w.headerBytes());
    store.write(w.l1Offset, new Uint8Array(l1Clusters * cs));
    w.rtRewrite = true;
    w.l1Dirty = false;
    w.flush();
    return w;
  }

  /**
   * Reopens an image to add snapshots. The image must be valid, version 3,
   * with 16-bit refcounts, a disk that is a whole number of clusters, nothing
   * but the disk in the active L1 table, and refcounts that match its tables
   * exactly (as this writer leaves them); otherwise Qcow2Error.
   */
  static append(store: ImageStore): Qcow2Writer {
    const img = parseImage(store);
    return guarded(() => Qcow2Writer.fromParsed(img));
  }

  private static fromParsed(img: ParsedImage): Qcow2Writer {
    const h = img.header;
    const cs = h.clusterSize;
    const cannot = (why: string, offset?: number): Qcow2Error => new Qcow2Error(`cannot append to this image: ${why}`, offset);
    if (h.version !== 3) throw cannot(`it is version ${h.version}, not 3`, 4);
    if (h.incompatible !== 0n) throw cannot(`incompatible feature bits ${hex(h.incompatible)} are set (a dirty image needs qemu-img check -r all)`, 72);
    if (h.refcountOrder !== 4) throw cannot(`its refcounts are ${2 ** h.refcountOrder} bits wide, not 16`, 96);
    if (h.clusterBits > 16) throw cannot(`its clusters (${cs} bytes) are larger than 64 KiB`, 20);
    if (h.diskSize === 0 || h.diskSize % cs !== 0) throw cannot(`its disk size ${h.diskSize} is not a positive multiple of the cluster size`, 24);
    const l1Size = ceilDiv(h.diskSize, img.coverage);
    for (let i = l1Size; i < h.l1Size; i++) {
      if (img.activeL1[i] !== 0) throw cannot(`its active L1 table maps clusters past the disk (entry ${i})`, h.l1Offset + i * 8);
    }

    // Refcounts as the tables imply them, compared with those stored.
    const fileClusters = ceilDiv(img.fileSize, cs);
    const expected = new Float64Array(fileClusters);
    const addRange = (offset: number, bytes: number): void => {
      for (let c = offset / cs; c < ceilDiv(offset + bytes, cs); c++) expected[c]++;
    };
    expected[0]++;
    addRange(h.l1Offset, h.l1Size * 8);
    addRange(h.refcountTableOffset, h.refcountTableClusters * cs);
    for (const b of img.refcountBlocks) if (b !== 0) expected[b / cs]++;
    if (img.snapshotTableLength > 0) addRange(h.snapshotsOffset, img.snapshotTableLength);
    const paths = new Map<number, number>();
    for (const l1 of [img.activeL1, ...img.snapshots.map((s) => s.l1)]) {
      for (let i = 0; i < l1.length; i++) if (l1[i] !== 0) paths.set(l1[i], (paths.get(l1[i]) ?? 0) + 1);
    }
    for (const s of img.snapshots) addRange(s.l1Offset, s.l1Size * 8);
    for (const [l2, k] of paths) {
      expected[l2 / cs] += k;
      const t = img.l2Tables.get(l2)!;
      for (let j = 0; j < t.length; j++) if (t[j] !== 0) expected[Math.abs(t[j]) / cs] += k;
    }
    const perBlock = cs / 2;
    const blocks = img.refcountBlocks;
    const coveredClusters = Math.max(fileClusters, blocks.length * perBlock);
    const rc = new Uint16Array(Math.max(1024, coveredClusters * 2));
    for (let b = 0; b < blocks.length; b++) {
      if (blocks[b] === 0) continue;
      const raw = readStore(img.store, blocks[b], cs);
      for (let k = 0; k < perBlock; k++) rc[b * perBlock + k] = be16(raw, k * 2);
    }
    for (let c = 0; c < coveredClusters; c++) {
      const want = c < fileClusters ? expected[c] : 0;
      if (rc[c] !== want) {
        const kind = rc[c] > want ? 'leaked or over-counted' : 'under-counted';
        throw cannot(`the refcount of the cluster at ${hex(c * cs)} is ${rc[c]} but its tables reference it ${want} times (${kind}); qemu-img check -r all can repair it`);
      }
    }

    // Active L2 tables (copies: the writer edits them).
    const l1 = img.activeL1.slice(0, l1Size);
    const l2: (Float64Array | undefined)[] = [];
    const flagsToRecompute = new Set<number>();
    for (let i = 0; i < l1Size; i++) {
      const t = l1[i] !== 0 ? img.l2Tables.get(l1[i]) : undefined;
      l2.push(t ? t.slice() : undefined);
      if (t && img.l2WithCopiedFlags.has(l1[i])) flagsToRecompute.add(i);
    }
    let nextId = 1;
    for (const s of img.snapshots) {
      const n = Number(s.info.id);
      if (/^\d+$/.test(s.info.id) && n >= nextId) nextId = n + 1;
    }
    const w = new Qcow2Writer({
      store: img.store,
      clusterBits: h.clusterBits,
      diskSize: h.diskSize,
      l1Offset: h.l1Offset,
      l1Size,
      l1,
      l2,
      refcounts: rc,
      hostClusters: fileClusters,
      refcountTable: blocks.slice(),
      refcountTableOffset: h.refcountTableOffset,
      refcountTableClusters: h.refcountTableClusters,
      snapshotTable: readSnapshotTable(img),
      snapshotsOffset: img.snapshotTableLength > 0 ? h.snapshotsOffset : 0,
      snapshotCount: img.snapshots.length,
      names: new Set(img.snapshots.map((s) => s.info.name)),
      nextId,
      flagsToRecompute,
    });
    // The active L1 table keeps its on-disk size (it may be larger than the disk needs).
    w.activeL1Entries = h.l1Size;
    return w;
  }

  get snapshotCount(): number {
    return this.count;
  }

  /**
   * Records a snapshot: applies `changedClusters` to the active disk (copy on
   * write: clusters shared with earlier snapshots are never modified), stores
   * the VM state, and adds a snapshot whose disk is the resulting active disk.
   */
  addSnapshot(s: SnapshotInput): void {
    const cs = this.clusterSize;
    // Validate everything before changing anything.
    if (typeof s.icount !== 'bigint' || s.icount < 0n || s.icount >= 0xffffffffffffffffn) {
      throw new RangeError(`Qcow2Writer: icount ${String(s.icount)} is not in 0..2^64-2`);
    }
    const name = s.name ?? `icount-${s.icount}`;
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length === 0 || nameBytes.length > 0xffff) throw new RangeError(`Qcow2Writer: snapshot name must be 1 to 65535 bytes of UTF-8`);
    if (this.names.has(name)) throw new RangeError(`Qcow2Writer: a snapshot named ${JSON.stringify(name)} already exists`);
    const dateSeconds = s.dateSeconds ?? Math.floor(Date.now() / 1000);
    if (!Number.isInteger(dateSeconds) || dateSeconds < 0 || dateSeconds >= TWO32) throw new RangeError(`Qcow2Writer: dateSeconds ${dateSeconds} is not a 32-bit count of seconds`);
    if (s.vmState.length > MAX_VM_STATE_SIZE) throw new RangeError(`Qcow2Writer: VM state of ${s.vmState.length} bytes is too large (limit ${MAX_VM_STATE_SIZE})`);
    for (const [index, data] of s.changedClusters) {
      if (!Number.isInteger(index) || index < 0 || index >= this.diskClusters) {
        throw new RangeError(`Qcow2Writer: changed cluster ${index} is outside the disk (${this.diskClusters} clusters)`);
      }
      if (!(data instanceof Uint8Array) || data.length !== cs) throw new RangeError(`Qcow2Writer: changed cluster ${index} must be exactly ${cs} bytes`);
    }
    if (this.count >= MAX_SNAPSHOTS) throw new RangeError(`Qcow2Writer: the image already has ${MAX_SNAPSHOTS} snapshots`);
    const vmClusters = ceilDiv(s.vmState.length, cs);
    const vmL2Count = ceilDiv(vmClusters, this.l2Entries);
    const snapL1Size = this.l1Size + vmL2Count;
    if (snapL1Size > MAX_L1_ENTRIES) throw new RangeError('Qcow2Writer: the VM state is too large for an L1 table');
    for (let i = 0; i < this.l1Size; i++) {
      if (this.l1[i] === 0) continue;
      if (this.rc[this.l1[i] / cs] >= MAX_REFCOUNT) throw new Qcow2Error('too many snapshots share an L2 table (16-bit refcount would overflow)');
      const t = this.l2[i]!;
      for (let j = 0; j < t.length; j++) {
        if (t[j] !== 0 && this.rc[Math.abs(t[j]) / cs] >= MAX_REFCOUNT) throw new Qcow2Error('too many snapshots share a cluster (16-bit refcount would overflow)');
      }
    }

    // 1. The changed clusters, into the active disk.
    for (const [index, data] of s.changedClusters) this.writeCluster(index, data);

    // 2. Active L2 tables that this emptied (and only the active image used) are dropped.
    for (const i of this.dirtyL2) {
      const t = this.l2[i]!;
      if (this.rc[this.l1[i] / cs] === 1 && t.every((v) => v === 0)) {
        this.free(this.l1[i] / cs);
        this.l1[i] = 0;
        this.l2[i] = undefined;
        this.dirtyL2.delete(i);
        this.l1Dirty = true;
      }
    }

    // 3. The VM state: fresh clusters and L2 tables past the disk, referenced only by the snapshot.
    const snapL1 = new Float64Array(snapL1Size);
    snapL1.set(this.l1.subarray(0, this.l1Size));
    for (let t = 0; t < vmL2Count; t++) {
      const table = new Float64Array(this.l2Entries);
      for (let j = 0; j < this.l2Entries; j++) {
        const k = t * this.l2Entries + j;
        if (k >= vmClusters) break;
        const chunk = new Uint8Array(cs);
        chunk.set(s.vmState.subarray(k * cs, Math.min((k + 1) * cs, s.vmState.length)));
        const c = this.allocCluster();
        this.store.write(c * cs, chunk);
        table[j] = c * cs;
      }
      const c = this.allocCluster();
      this.store.write(c * cs, this.serializeL2(table, false));
      snapL1[this.l1Size + t] = c * cs;
    }

    // 4. The snapshot's L1 table.
    const l1Bytes = new Uint8Array(ceilDiv(snapL1Size * 8, cs) * cs);
    for (let i = 0; i < snapL1Size; i++) if (snapL1[i] !== 0) put64(l1Bytes, i * 8, snapL1[i]);
    const snapL1Offset = snapL1Size > 0 ? this.allocContiguous(l1Bytes.length / cs) * cs : 0;
    if (snapL1Size > 0) this.store.write(snapL1Offset, l1Bytes);

    // 5. The snapshot now references every active L2 table and, through it, every data cluster.
    for (let i = 0; i < this.l1Size; i++) {
      if (this.l1[i] === 0) continue;
      this.incRef(this.l1[i] / cs);
      const t = this.l2[i]!;
      for (let j = 0; j < t.length; j++) if (t[j] !== 0) this.incRef(Math.abs(t[j]) / cs);
    }
    // Everything active is now shared, so no "copied" flag may remain set.
    this.l1Dirty = true;
    for (const i of this.flagsToRecompute) if (this.l1[i] !== 0) this.dirtyL2.add(i);
    this.flagsToRecompute.clear();

    // 6. The snapshot table entry.
    const id = String(this.nextId);
    const idBytes = new TextEncoder().encode(id);
    const entry = new Uint8Array(ceilDiv(40 + WRITER_EXTRA_SIZE + idBytes.length + nameBytes.length, 8) * 8);
    put64(entry, 0, snapL1Offset);
    put32(entry, 8, snapL1Size);
    put16(entry, 12, idBytes.length);
    put16(entry, 14, nameBytes.length);
    put32(entry, 16, dateSeconds);
    put32(entry, 32, s.vmState.length);
    put32(entry, 36, WRITER_EXTRA_SIZE);
    put64(entry, 40, s.vmState.length);
    put64(entry, 48, this.diskSize);
    put64big(entry, 56, s.icount);
    entry.set(idBytes, 64);
    entry.set(nameBytes, 64 + idBytes.length);
    this.appendSnapshotEntry(entry);
    this.names.add(name);
    this.nextId++;

    this.ensureRefcountCoverage();
    this.flush();
  }

  // --- active disk -----------------------------------------------------------

  private writeCluster(index: number, data: Uint8Array): void {
    const cs = this.clusterSize;
    const l1i = Math.floor(index / this.l2Entries);
    const j = index - l1i * this.l2Entries;
    const zero = isAllZero(data);
    const existing = this.l2[l1i];
    if (zero && (!existing || existing[j] === 0)) return; // already reads as zeros
    const t = this.writableL2(l1i);
    const old = Math.abs(t[j]);
    if (zero) {
      t[j] = 0;
      this.decRef(old / cs);
      return;
    }
    if (old !== 0 && this.rc[old / cs] === 1) {
      this.store.write(old, data); // only the active disk has it: overwrite in place
      t[j] = old;
      return;
    }
    const c = this.allocCluster();
    this.store.write(c * cs, data);
    t[j] = c * cs;
    if (old !== 0) this.decRef(old / cs);
  }

  /** The active L2 table for an L1 index, copied first if a snapshot shares it. */
  private writableL2(l1i: number): Float64Array {
    const cs = this.clusterSize;
    const off = this.l1[l1i];
    let t = this.l2[l1i];
    if (off === 0 || !t) {
      t = new Float64Array(this.l2Entries);
      this.l2[l1i] = t;
      this.l1[l1i] = this.allocCluster() * cs;
      this.l1Dirty = true;
    } else if (this.rc[off / cs] > 1) {
      // Copy on write: the copy and the shared original both reference the data clusters,
      // via the active and the snapshot's L1 tables respectively, so their refcounts stay.
      this.decRef(off / cs);
      this.l1[l1i] = this.allocCluster() * cs;
      this.l1Dirty = true;
    }
    this.dirtyL2.add(l1i);
    return t;
  }

  private serializeL2(t: Float64Array, withFlags: boolean): Uint8Array {
    const cs = this.clusterSize;
    const b = new Uint8Array(cs);
    for (let j = 0; j < t.length; j++) {
      const v = t[j];
      if (v === 0) continue;
      const off = Math.abs(v);
      put64(b, j * 8, off, withFlags && this.rc[off / cs] === 1 ? 0x80000000 : 0);
      if (v < 0) b[j * 8 + 7] |= 1;
    }
    return b;
  }

  // --- snapshot table --------------------------------------------------------

  private appendSnapshotEntry(entry: Uint8Array): void {
    const cs = this.clusterSize;
    const oldLength = this.snapshotTable.length;
    const table = new Uint8Array(oldLength + entry.length);
    table.set(this.snapshotTable);
    table.set(entry, oldLength);
    const oldClusters = ceilDiv(oldLength, cs);
    const newClusters = ceilDiv(table.length, cs);
    if (this.snapshotsOffset !== 0 && newClusters <= oldClusters) {
      this.store.write(this.snapshotsOffset + oldLength, entry);
    } else {
      const start = this.allocContiguous(newClusters);
      const padded = new Uint8Array(newClusters * cs);
      padded.set(table);
      this.store.write(start * cs, padded);
      if (this.snapshotsOffset !== 0) for (let c = 0; c < oldClusters; c++) this.free(this.snapshotsOffset / cs + c);
      this.snapshotsOffset = start * cs;
    }
    this.snapshotTable = table;
    this.count++;
    const h = new Uint8Array(12);
    put32(h, 0, this.count);
    put64(h, 4, this.snapshotsOffset);
    this.store.write(60, h);
  }

  // --- refcounts and allocation ----------------------------------------------

  private ensureRcCapacity(clusters: number): void {
    if (clusters <= this.rc.length) return;
    const grown = new Uint16Array(Math.max(clusters, this.rc.length * 2));
    grown.set(this.rc);
    this.rc = grown;
  }

  private markRefcountDirty(c: number): void {
    const b = Math.floor(c / this.refcountsPerBlock);
    const k = c - b * this.refcountsPerBlock;
    while (this.dirtyBlockLo.length <= b) {
      this.dirtyBlockLo.push(-1);
      this.dirtyBlockHi.push(-1);
    }
    if (this.dirtyBlockLo[b] < 0 || k < this.dirtyBlockLo[b]) this.dirtyBlockLo[b] = k;
    if (k > this.dirtyBlockHi[b]) this.dirtyBlockHi[b] = k;
  }

  private setRc(c: number, v: number): void {
    this.ensureRcCapacity(c + 1);
    this.rc[c] = v;
    this.markRefcountDirty(c);
  }

  private incRef(c: number): void {
    this.setRc(c, this.rc[c] + 1);
  }

  private decRef(c: number): void {
    const v = this.rc[c] - 1;
    this.setRc(c, v);
    if (v === 0 && c < this.freeHint) this.freeHint = c;
  }

  private free(c: number): void {
    this.setRc(c, 0);
    if (c < this.freeHint) this.freeHint = c;
  }

  /** A free cluster (refcount 0 in the file, else a new one at the end), now with refcount 1. */
  private allocCluster(): number {
    for (let c = this.freeHint; c < this.hostClusters; c++) {
      if (this.rc[c] === 0) {
        this.freeHint = c + 1;
        this.setRc(c, 1);
        return c;
      }
    }
    const c = this.hostClusters++;
    this.freeHint = this.hostClusters;
    this.setRc(c, 1);
    return c;
  }

  /** `n` consecutive free clusters (possibly running past the end of the file), now with refcount 1. */
  private allocContiguous(n: number): number {
    if (n === 1) return this.allocCluster();
    let start = this.hostClusters;
    let run = 0;
    for (let c = 1; c < this.hostClusters; c++) {
      if (this.rc[c] !== 0) {
        run = 0;
        continue;
      }
      if (run === 0) start = c;
      if (++run === n) break;
    }
    if (run === 0) start = this.hostClusters;
    this.hostClusters = Math.max(this.hostClusters, start + n);
    for (let c = start; c < start + n; c++) this.setRc(c, 1);
    return start;
  }

  /** Allocates refcount blocks (and a larger refcount table) until every cluster of the file is covered. */
  private ensureRefcountCoverage(): void {
    const cs = this.clusterSize;
    for (;;) {
      const needed = ceilDiv(this.hostClusters, this.refcountsPerBlock);
      const capacity = (this.rtClusters * cs) / 8;
      if (needed > capacity) {
        // A new, larger table; the old one is freed once the new one is written.
        const newClusters = ceilDiv(Math.max(needed + 1, capacity * 2) * 8, cs);
        if (newClusters * cs > MAX_REFCOUNT_TABLE_BYTES) throw new Qcow2Error('the image is too large for a refcount table of 8 MiB');
        const start = this.allocContiguous(newClusters);
        const old = this.rtOffset / cs;
        for (let c = old; c < old + this.rtClusters; c++) this.free(c);
        this.rtOffset = start * cs;
        this.rtClusters = newClusters;
        this.rtRewrite = true;
        this.headerRefcountDirty = true;
        continue;
      }
      let added = false;
      for (let b = 0; b < needed; b++) {
        if ((this.rt[b] ?? 0) !== 0) continue;
        while (this.rt.length <= b) this.rt.push(0);
        this.rt[b] = this.allocCluster() * cs;
        this.newBlocks.add(b);
        this.rtDirtyEntries.add(b);
        added = true;
      }
      if (!added) return;
    }
  }

  // --- output ----------------------------------------------------------------

  private headerBytes(): Uint8Array {
    const h = new Uint8Array(this.clusterSize);
    put32(h, 0, MAGIC);
    put32(h, 4, 3);
    put32(h, 20, this.clusterBits);
    put64(h, 24, this.diskSize);
    put32(h, 36, this.l1Size);
    put64(h, 40, this.l1Offset);
    put64(h, 48, this.rtOffset);
    put32(h, 56, this.rtClusters);
    put32(h, 60, this.count);
    put64(h, 64, this.snapshotsOffset);
    put32(h, 96, 4); // refcount_order: 16-bit refcounts
    put32(h, 100, HEADER_LENGTH);
    // Byte 104: compression type 0 (zlib); then padding; then the end of the header extensions (zeros).
    return h;
  }

  /** Writes every pending metadata change. */
  private flush(): void {
    const cs = this.clusterSize;
    for (const i of this.dirtyL2) this.store.write(this.l1[i], this.serializeL2(this.l2[i]!, true));
    this.dirtyL2.clear();
    if (this.l1Dirty) {
      const b = new Uint8Array(Math.max(this.l1Size, this.activeL1Entries) * 8);
      for (let i = 0; i < this.l1Size; i++) {
        if (this.l1[i] !== 0) put64(b, i * 8, this.l1[i], this.rc[this.l1[i] / cs] === 1 ? 0x80000000 : 0);
      }
      this.store.write(this.l1Offset, b);
      this.l1Dirty = false;
    }
    if (this.rtRewrite) {
      const b = new Uint8Array(this.rtClusters * cs);
      for (let i = 0; i < this.rt.length; i++) if (this.rt[i] !== 0) put64(b, i * 8, this.rt[i]);
      this.store.write(this.rtOffset, b);
    } else {
      for (const i of [...this.rtDirtyEntries].sort((a, b) => a - b)) {
        const b = new Uint8Array(8);
        put64(b, 0, this.rt[i]);
        this.store.write(this.rtOffset + i * 8, b);
      }
    }
    this.rtRewrite = false;
    this.rtDirtyEntries.clear();
    if (this.headerRefcountDirty) {
      const h = new Uint8Array(12);
      put64(h, 0, this.rtOffset);
      put32(h, 8, this.rtClusters);
      this.store.write(48, h);
      this.headerRefcountDirty = false;
    }
    const per = this.refcountsPerBlock;
    for (let b = 0; b < this.dirtyBlockLo.length; b++) {
      const isNew = this.newBlocks.has(b);
      if (this.dirtyBlockLo[b] < 0 && !isNew) continue;
      const lo = isNew ? 0 : this.dirtyBlockLo[b];
      const hi = isNew ? per - 1 : this.dirtyBlockHi[b];
      const out = new Uint8Array((hi - lo + 1) * 2);
      this.ensureRcCapacity((b + 1) * per);
      for (let k = lo; k <= hi; k++) put16(out, (k - lo) * 2, this.rc[b * per + k]);
      this.store.write(this.rt[b] + lo * 2, out);
      this.dirtyBlockLo[b] = -1;
      this.dirtyBlockHi[b] = -1;
    }
    for (const b of this.newBlocks) {
      if (b >= this.dirtyBlockLo.length) {
        const out = new Uint8Array(cs);
        for (let k = 0; k < per; k++) put16(out, k * 2, this.rc[b * per + k] ?? 0);
        this.store.write(this.rt[b], out);
      }
    }
    this.newBlocks.clear();
  }
}
