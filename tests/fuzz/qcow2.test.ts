// Seeded mutation fuzz of the qcow2 reader and of the snapshot-image reader
// behind a recording's SNAP chunk: images written by Hindsight's own writer
// (a recording's snapshots) and by qemu-img, with bit flips, byte runs,
// truncations and hostile header, L1, refcount table and snapshot table
// fields. Every case must open and read, or be refused with a Qcow2Error
// (SnapshotImageError from the snapshot-image reader) whose message says
// what is wrong; never another exception, never a hang, never an allocation
// sized by a hostile field.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Qcow2Image, Qcow2Error } from '../../workers/formats/qcow2';
import { exportSnapshotImage, readSnapshotImage, SnapshotImageError } from '../../workers/replay/snapshot-image';
import { recordExample, openReplay } from '../replay/support';
import { fuzzCases, fuzzRandom, fuzzTimeout, bounded, mutateBytes, hostileValue, writeBE, pick, int, hex, describeThrow } from './support';

const CASES = fuzzCases(2000);

interface Original { name: string; bytes: Uint8Array; hindsight: boolean }
const originals: Original[] = [];
let pagedBytes = 0;
let coreLength = 0;
let dir = '';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

beforeAll(async () => {
  const rec = await recordExample('hello', '', { checkpointInterval: 1n << 12n });
  const t = await openReplay(rec.file, { checkpointInterval: 1n << 12n });
  await t.continue();
  pagedBytes = t.machine.pagedBytes;
  coreLength = t.machine.captureState().core.length;
  originals.push({ name: 'hindsight', bytes: exportSnapshotImage(t), hindsight: true });
  dir = mkdtempSync(join(tmpdir(), 'hindsight-fuzz-qcow2-'));
  // qemu-img's own images: v3 with 64 KiB clusters, data and an internal snapshot; v2 (compat 0.10) with 4 KiB clusters.
  const a = join(dir, 'a.qcow2');
  run('qemu-img', ['create', '-q', '-f', 'qcow2', a, '4M']);
  run('qemu-io', ['-c', 'write -P 0xab 0 64k', '-c', 'write -P 0x5a 1M 8k', a]);
  run('qemu-img', ['snapshot', '-c', 'first', a]);
  run('qemu-io', ['-c', 'write -P 0x11 32k 64k', a]);
  originals.push({ name: 'qemu-v3', bytes: new Uint8Array(readFileSync(a)), hindsight: false });
  const b = join(dir, 'b.qcow2');
  run('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', 'compat=0.10,cluster_size=4096', b, '1M']);
  run('qemu-io', ['-c', 'write -P 0xcd 4k 12k', b]);
  run('qemu-img', ['snapshot', '-c', 's1', b]);
  originals.push({ name: 'qemu-v2', bytes: new Uint8Array(readFileSync(b)), hindsight: false });
  const c = join(dir, 'c.qcow2');
  run('qemu-img', ['create', '-q', '-f', 'qcow2', c, '64M']);
  originals.push({ name: 'qemu-empty', bytes: new Uint8Array(readFileSync(c)), hindsight: false });
});

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface Field { at: number; size: number; name: string }

const be = (b: Uint8Array, at: number, size: number): number => {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (b[at + i] ?? 0);
  return v;
};

/** The header, L1, refcount table and snapshot table fields of a pristine image, by offset. */
function fieldsOf(b: Uint8Array): Field[] {
  const fields: Field[] = [
    { at: 4, size: 4, name: 'version' }, { at: 8, size: 8, name: 'backing_file_offset' }, { at: 16, size: 4, name: 'backing_file_size' },
    { at: 20, size: 4, name: 'cluster_bits' }, { at: 24, size: 8, name: 'size' }, { at: 32, size: 4, name: 'crypt_method' },
    { at: 36, size: 4, name: 'l1_size' }, { at: 40, size: 8, name: 'l1_table_offset' }, { at: 48, size: 8, name: 'refcount_table_offset' },
    { at: 56, size: 4, name: 'refcount_table_clusters' }, { at: 60, size: 4, name: 'nb_snapshots' }, { at: 64, size: 8, name: 'snapshots_offset' },
  ];
  if (be(b, 4, 4) >= 3) {
    fields.push({ at: 72, size: 8, name: 'incompatible_features' }, { at: 80, size: 8, name: 'compatible_features' },
      { at: 88, size: 8, name: 'autoclear_features' }, { at: 96, size: 4, name: 'refcount_order' }, { at: 100, size: 4, name: 'header_length' });
  }
  const l1Size = be(b, 36, 4);
  const l1 = be(b, 40, 8);
  for (let i = 0; i < Math.min(l1Size, 8); i++) fields.push({ at: l1 + 8 * i, size: 8, name: `L1 entry ${i}` });
  const rt = be(b, 48, 8);
  for (let i = 0; i < 4; i++) fields.push({ at: rt + 8 * i, size: 8, name: `refcount table entry ${i}` });
  // The first L2 table and refcount block.
  const l2 = be(b, l1, 8) % 2 ** 56;
  if (l2 > 0) for (let i = 0; i < 8; i++) fields.push({ at: l2 + 8 * i, size: 8, name: `L2 entry ${i}` });
  const rb = be(b, rt, 8);
  if (rb > 0) for (let i = 0; i < 8; i++) fields.push({ at: rb + 2 * i, size: 2, name: `refcount ${i}` });
  let pos = be(b, 64, 8);
  for (let n = 0; n < be(b, 60, 4) && pos + 40 <= b.length; n++) {
    for (const [off, size, name] of [[0, 8, 'l1_table_offset'], [8, 4, 'l1_size'], [12, 2, 'id_str_size'], [14, 2, 'name_size'], [32, 4, 'vm_state_size'],
      [36, 4, 'extra_data_size'], [40, 8, 'vm_state_size_large'], [48, 8, 'disk_size'], [56, 8, 'icount']] as const) {
      fields.push({ at: pos + off, size, name: `snapshot ${n} ${name}` });
    }
    const snapL1 = be(b, pos, 8);
    fields.push({ at: snapL1, size: 8, name: `snapshot ${n} L1 entry 0` });
    const used = 40 + be(b, pos + 36, 4) + be(b, pos + 12, 2) + be(b, pos + 14, 2);
    pos += Math.ceil(used / 8) * 8;
  }
  return fields.filter((f) => f.at + f.size <= b.length);
}

const fieldCache = new Map<string, Field[]>();

function mutate(random: () => number): { o: Original; bytes: Uint8Array; what: string } {
  const o = pick(random, originals);
  const fields = fieldCache.get(o.name) ?? fieldsOf(o.bytes);
  fieldCache.set(o.name, fields);
  if (o.hindsight && random() < 0.05) {
    // What found the VM state allocation: a snapshot's L1 table made long enough to map a hostile VM state size.
    const bytes = o.bytes.slice();
    const size = pick(random, [2 ** 17, 2 ** 20, 2 ** 26, 2 ** 29, 2 ** 30 - 2 ** 25]);
    hugeVmState(bytes, size);
    return { o, bytes, what: `${o.name}: last snapshot's L1 table 512 entries, VM state ${hex(size)} bytes` };
  }
  if (random() < 0.5) {
    const bytes = o.bytes.slice();
    const parts: string[] = [];
    for (let n = random() < 0.7 ? 1 : 2; n > 0; n--) {
      const f = pick(random, fields);
      const v = random() < 0.2 ? BigInt(int(random, 64)) : hostileValue(random, bytes.length);
      writeBE(bytes, f.at, f.size, v);
      parts.push(`${f.name} = ${hex(v)}`);
    }
    return { o, bytes, what: `${o.name}: ${parts.join(', ')}` };
  }
  // Mostly the metadata: the header cluster and the tables the fields point at.
  const metadata = fields.map((f) => f.at);
  const near = pick(random, metadata);
  const m = random() < 0.7 ? mutateBytes(random, o.bytes, near, Math.min(o.bytes.length, near + 64)) : mutateBytes(random, o.bytes);
  return { o, bytes: m.bytes, what: `${o.name}: ${m.what}` };
}

/** Everything the readers offer, on a possibly hostile image; returns whether it was accepted. */
function readAll(o: Original, bytes: Uint8Array): { ok: true } | { ok: false; message: string } {
  try {
    const img = Qcow2Image.open(bytes);
    const snaps = img.snapshots();
    for (const view of ['active' as const, ...snaps.slice(0, 4)]) {
      const size = view === 'active' ? img.diskSize : view.diskSize;
      img.allocatedClusters(view);
      img.changedClusters(undefined, view);
      img.readDisk(view, 0, Math.min(size, 256 << 10));
      if (size > 4096) img.readDisk(view, size - 4096, 4096);
    }
    if (snaps.length >= 2) img.changedClusters(snaps[0], snaps[1]);
    for (const s of snaps.slice(0, 4)) if (s.vmStateSize <= 1 << 20) img.readVmState(s);
    if (o.hindsight) for (const snap of readSnapshotImage(bytes, pagedBytes, coreLength)) void snap;
    return { ok: true };
  } catch (e) {
    if (e instanceof Qcow2Error || e instanceof SnapshotImageError) return { ok: false, message: e.message };
    throw e;
  }
}

/** Byte offsets of the snapshot table entries of a pristine image. */
function snapshotEntries(b: Uint8Array): number[] {
  const out: number[] = [];
  let pos = be(b, 64, 8);
  for (let n = 0; n < be(b, 60, 4); n++) {
    out.push(pos);
    pos += Math.ceil((40 + be(b, pos + 36, 4) + be(b, pos + 12, 2) + be(b, pos + 14, 2)) / 8) * 8;
  }
  return out;
}

/**
 * The last snapshot's L1 table made to map far past the disk (512 entries,
 * the 4 KiB to the end of the file) and its VM state size set to `size`:
 * every check of the qcow2 structure passes.
 */
function hugeVmState(b: Uint8Array, size: number): void {
  const last = snapshotEntries(b).at(-1) as number;
  writeBE(b, last + 8, 4, 512n);
  writeBE(b, last + 32, 4, BigInt(size));
  writeBE(b, last + 40, 8, BigInt(size));
}

/** Inputs the fuzzer found problems with, kept as regression cases. */
const REGRESSIONS: { name: string; image: string; build: (b: Uint8Array) => void }[] = [
  // A 116 KiB image whose last snapshot claims a 512 MiB VM state: the snapshot-image reader read (allocated) all of it
  // before decodeVmState found the size wrong. It now refuses the size first.
  { name: 'a snapshot whose VM state is 512 MiB', image: 'hindsight', build: (b) => hugeVmState(b, 2 ** 29) },
  { name: 'a snapshot whose VM state is just under 1 GiB', image: 'hindsight', build: (b) => hugeVmState(b, 2 ** 30 - 2 ** 25) },
];

describe('seeded mutation fuzz of the qcow2 and snapshot-image readers', () => {
  it('the pristine images read', () => {
    for (const o of originals) expect(readAll(o, o.bytes), o.name).toEqual({ ok: true });
  });

  it('regression inputs', async () => {
    for (const r of REGRESSIONS) {
      const o = originals.find((x) => x.name === r.image) as Original;
      const bytes = o.bytes.slice();
      r.build(bytes);
      const out = await bounded(r.name, 5000, () => readAll(o, bytes), 16 << 20);
      expect(out.ok, r.name).toBe(false);
      if (!out.ok) expect(out.message, r.name).toMatch(/VM state size \d+ is larger than a machine state can be/);
    }
  });

  it(`${CASES} mutations: read, or a Qcow2Error/SnapshotImageError saying what; no other exception, no hang, no huge allocation`, async () => {
    const random = fuzzRandom(0x9c02);
    let accepted = 0;
    const refused = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { o, bytes, what } = mutate(random);
      const label = `case ${i} (${what})`;
      let out: ReturnType<typeof readAll>;
      try {
        out = await bounded(label, 3000, () => readAll(o, bytes));
      } catch (e) {
        if (e instanceof Error && e.name === 'AssertionError') throw e;
        throw new Error(`${label} threw ${describeThrow(e)}`);
      }
      if (out.ok) accepted++;
      else {
        expect(out.message, label).not.toMatch(/internal error|undefined|NaN/);
        const key = out.message.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 70);
        refused.set(key, (refused.get(key) ?? 0) + 1);
      }
    }
    if (process.env.HINDSIGHT_FUZZ_VERBOSE) console.log(accepted, [...refused].sort((a, b) => b[1] - a[1]).slice(0, 50));
    // The fuzz reaches both outcomes, and many different refusals (on runs long enough to).
    if (CASES >= 500) {
      expect(accepted).toBeGreaterThan(0);
      expect(refused.size).toBeGreaterThan(10);
    }
  }, fuzzTimeout(120_000, CASES, 100));
});
