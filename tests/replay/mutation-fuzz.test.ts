// A seeded mutation fuzz of a small recording, with every chunk checksum
// recomputed after the change (so the CRCs cannot be what catches it): the
// reader, the machine check and replay must between them end every case with
// one of the documented statuses, never an uncaught exception, and any change
// to what the recording means (its output, digests, input events or end) must
// be caught.
import { describe, it, expect, beforeAll } from 'vitest';
import { parseRecording, RecordingError, type ParsedRecording } from '../../workers/formats/recording';
import { Timeline, ReplayDivergence, STOPPED } from '../../workers/replay/timeline';
import { recordingMachineProblem } from '../../workers/cli/recording-check';
import { MachineError } from '../../workers/engine/machine';
import { ElfError } from '../../workers/formats/elf';
import { recordExample, wasm } from './support';
import { rebuild, fixChecksums, chunksOf } from './tamper';
import { mulberry32 as rng } from '../support/mulberry32';

const MUTATIONS = 1200;


let module: WebAssembly.Module;
let original: Uint8Array;
let parsedOriginal: ParsedRecording;

beforeAll(async () => {
  module = new WebAssembly.Module(wasm);
  const rec = await recordExample('hello');
  parsedOriginal = parseRecording(rec.file);
  original = rebuild(parsedOriginal, parsedOriginal.events, { perChunk: 16 });
  parsedOriginal = parseRecording(original);
});

/** What `hindsight replay` would end with (as a status), without the process around it. */
async function statusOf(file: Uint8Array): Promise<{ status: number; parsed?: ParsedRecording; why: string }> {
  let parsed: ParsedRecording;
  try {
    parsed = parseRecording(file);
  } catch (e) {
    if (e instanceof RecordingError) return { status: 1, why: e.message };
    throw e;
  }
  const problem = recordingMachineProblem(parsed);
  if (problem) return { status: 1, parsed, why: problem };
  try {
    const t = await Timeline.replay(module, parsed, { useSnapshotImage: false });
    const r = await t.continue();
    if (!parsed.end) return { status: 4, parsed, why: 'cut off' };
    if (r.reason === 'exit') return { status: r.exitCode ?? 0, parsed, why: 'exit' };
    if (parsed.end.reason === STOPPED && r.reason === 'end') return { status: 0, parsed, why: 'stopped' };
    return { status: 125, parsed, why: r.reason };
  } catch (e) {
    if (e instanceof ReplayDivergence) return { status: 3, parsed, why: e.message };
    if (e instanceof MachineError || e instanceof ElfError) return { status: 1, parsed, why: e.message };
    throw e;
  }
}

/** What replay depends on, as text: input and digest events, each output stream's bytes, the end. Output icounts are left out (see docs). */
function meaning(p: ParsedRecording): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const streams = { stdout: '', stderr: '' };
  const others: string[] = [];
  for (const e of p.events) {
    if (e.kind === 'output') streams[e.stream] += hex(e.bytes);
    else if (e.kind === 'wall-clock') others.push(`${e.kind}@${e.icount}:${e.seconds}`);
    else others.push(`${e.kind}@${e.icount}:${hex(e.kind === 'digest' ? e.digest : e.bytes)}`);
  }
  const end = p.end ? `${p.end.icount}/${p.end.reason}/${p.end.exitCode}/${p.end.finalDigest}` : 'none';
  return JSON.stringify({ others, streams, end, program: hex(p.program), ram: p.meta.ramMiB });
}

function mutate(random: () => number, file: Uint8Array): { bytes: Uint8Array; what: string } {
  const chunks = chunksOf(file);
  // Mostly the chunks whose data matter to replay; now and then anywhere, the header included.
  const pick = random();
  let at: number;
  if (pick < 0.05) at = Math.floor(random() * file.length);
  else {
    const candidates = chunks.filter((c) => c.type !== 'PROG');
    const c = candidates[Math.floor(random() * candidates.length)];
    at = c.offset + Math.floor(random() * (c.length + 12));
  }
  const kind = random();
  let bytes: Uint8Array;
  let what: string;
  if (kind < 0.45) {
    bytes = file.slice();
    const bit = 1 << Math.floor(random() * 8);
    bytes[at] ^= bit;
    what = `flip 0x${bit.toString(16)} at 0x${at.toString(16)}`;
  } else if (kind < 0.8) {
    bytes = file.slice();
    const v = random() < 0.5 ? Math.floor(random() * 256) : [0, 0xff, 0x30, 0x39, 0x22, 0x7b, 1, 2, 3, 4, 5][Math.floor(random() * 11)];
    bytes[at] = v;
    what = `set 0x${at.toString(16)} to 0x${v.toString(16)}`;
  } else if (kind < 0.9) {
    bytes = new Uint8Array(file.length + 1);
    bytes.set(file.subarray(0, at));
    bytes[at] = Math.floor(random() * 256);
    bytes.set(file.subarray(at), at + 1);
    what = `insert at 0x${at.toString(16)}`;
  } else {
    bytes = new Uint8Array(file.length - 1);
    bytes.set(file.subarray(0, at));
    bytes.set(file.subarray(at + 1), at);
    what = `delete at 0x${at.toString(16)}`;
  }
  return { bytes: fixChecksums(bytes), what };
}

describe('seeded mutation fuzz of a recording, checksums fixed', () => {
  it(`${MUTATIONS} mutations: only documented statuses, no uncaught exception, every change of meaning caught`, async () => {
    const base = await statusOf(original);
    expect(base.status).toBe(0);
    const reference = meaning(parsedOriginal);
    const random = rng(0x17);
    const seen = new Map<number, number>();
    const missed: string[] = [];
    for (let i = 0; i < MUTATIONS; i++) {
      const { bytes, what } = mutate(random, original);
      let result: Awaited<ReturnType<typeof statusOf>>;
      try {
        result = await statusOf(bytes);
      } catch (e) {
        throw new Error(`mutation ${i} (${what}) threw ${(e as Error).stack}`);
      }
      expect([0, 1, 3, 4], `mutation ${i} (${what}): ${result.why}`).toContain(result.status);
      seen.set(result.status, (seen.get(result.status) ?? 0) + 1);
      if (result.status === 0 && result.parsed && meaning(result.parsed) !== reference) missed.push(`mutation ${i} (${what})`);
    }
    expect(missed).toEqual([]);
    // The fuzz reaches every outcome: accepted, malformed, diverged and cut off.
    for (const status of [0, 1, 3, 4]) expect(seen.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  }, 120_000);
});
