// Shared pieces of the seeded mutation fuzzers: how many cases to run, the
// byte mutations, and the per-case limits on time and memory.
//
// Every fuzzer runs a short default in `npm test`; `npm run fuzz` sets
// HINDSIGHT_FUZZ_CASES (cases per fuzzer) for a long run, and
// HINDSIGHT_FUZZ_SEED picks another seed, so a failure found on a long run is
// reproduced by the same two numbers.
import { expect } from 'vitest';
import { mulberry32 } from '../support/mulberry32';

/** Cases for one fuzzer: the default, or HINDSIGHT_FUZZ_CASES when set. */
export function fuzzCases(defaultCases: number): number {
  const env = process.env.HINDSIGHT_FUZZ_CASES;
  if (env === undefined || env === '') return defaultCases;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`HINDSIGHT_FUZZ_CASES must be a positive whole number, not ${JSON.stringify(env)}`);
  return n;
}

/** The generator for one fuzzer: its own fixed seed, offset by HINDSIGHT_FUZZ_SEED when set. */
export function fuzzRandom(seed: number): () => number {
  const extra = Number(process.env.HINDSIGHT_FUZZ_SEED ?? 0);
  return mulberry32((seed + (Number.isSafeInteger(extra) ? extra : 0)) >>> 0);
}

/** Wall-clock time a fuzz case runs over for the test to call it a hang. Generous: the machine is shared. */
export function fuzzTimeout(defaultTimeout: number, cases: number, perCaseMs: number): number {
  return Math.max(defaultTimeout, cases * perCaseMs);
}

export const int = (random: () => number, n: number): number => Math.floor(random() * n);

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[int(random, items.length)];
}

export const hex = (n: number | bigint): string => '0x' + n.toString(16);

/** Values that break naive size and offset arithmetic, as unsigned 64-bit numbers. */
export function hostileValue(random: () => number, fileLength: number): bigint {
  const values: bigint[] = [
    0n, 1n, 2n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xfffen, 0xffffn, 0x1_0000n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn,
    0x1_0000_0000n, 2n ** 52n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 8n,
    BigInt(fileLength), BigInt(fileLength - 1), BigInt(fileLength + 1), BigInt(int(random, fileLength + 1)),
    BigInt(int(random, 0x1_0000_0000)),
  ];
  return pick(random, values);
}

/** Writes `value` little-endian into `size` bytes at `at` (as much of it as fits). */
export function writeLE(bytes: Uint8Array, at: number, size: number, value: bigint): void {
  for (let i = 0; i < size && at + i < bytes.length; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

export function writeBE(bytes: Uint8Array, at: number, size: number, value: bigint): void {
  for (let i = 0; i < size && at + i < bytes.length; i++) bytes[at + i] = Number((value >> BigInt(8 * (size - 1 - i))) & 0xffn);
}

/**
 * One generic mutation of `file` at a place in [from, to): a bit flip, a byte
 * set, a run of bytes set or randomised, an insertion, a deletion or a
 * truncation. Returns the new bytes and what was done (for the failure message).
 */
export function mutateBytes(random: () => number, file: Uint8Array, from = 0, to = file.length): { bytes: Uint8Array; what: string } {
  const at = Math.min(file.length - 1, from + int(random, Math.max(1, to - from)));
  const kind = random();
  if (kind < 0.35) {
    const bytes = file.slice();
    const bit = 1 << int(random, 8);
    bytes[at] ^= bit;
    return { bytes, what: `flip ${hex(bit)} at ${hex(at)}` };
  }
  if (kind < 0.6) {
    const bytes = file.slice();
    const v = random() < 0.5 ? int(random, 256) : pick(random, [0, 0xff, 0x7f, 0x80, 1, 2, 0x40, 0x20]);
    bytes[at] = v;
    return { bytes, what: `set ${hex(at)} to ${hex(v)}` };
  }
  if (kind < 0.75) {
    const bytes = file.slice();
    const n = 1 + int(random, random() < 0.8 ? 16 : 512);
    const fill = random() < 0.5 ? pick(random, [0, 0xff, 0x80]) : -1;
    for (let i = at; i < Math.min(bytes.length, at + n); i++) bytes[i] = fill >= 0 ? fill : int(random, 256);
    return { bytes, what: `run of ${n} ${fill >= 0 ? hex(fill) : 'random'} bytes at ${hex(at)}` };
  }
  if (kind < 0.85) {
    const n = 1 + int(random, 8);
    const bytes = new Uint8Array(file.length + n);
    bytes.set(file.subarray(0, at));
    for (let i = 0; i < n; i++) bytes[at + i] = int(random, 256);
    bytes.set(file.subarray(at), at + n);
    return { bytes, what: `insert ${n} bytes at ${hex(at)}` };
  }
  if (kind < 0.93) {
    const n = Math.min(1 + int(random, 8), file.length - at);
    const bytes = new Uint8Array(file.length - n);
    bytes.set(file.subarray(0, at));
    bytes.set(file.subarray(at + n), at);
    return { bytes, what: `delete ${n} bytes at ${hex(at)}` };
  }
  return { bytes: file.slice(0, at), what: `truncate to ${hex(at)} bytes` };
}

/**
 * Runs one case and checks it finished in time and without a large
 * allocation: host array buffers (typed arrays, DataViews) may grow by at most
 * `maxGrowth` bytes over the case. An allocation sized from a hostile field
 * shows up here even if it is garbage by the time the case ends, since
 * nothing collects it in between.
 */
export async function bounded<T>(what: string, limitMs: number, run: () => T | Promise<T>, maxGrowth = 128 << 20): Promise<T> {
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const result = await run();
  const took = performance.now() - started;
  const grown = process.memoryUsage().arrayBuffers - before;
  expect(took, `${what}: took ${took.toFixed(0)} ms`).toBeLessThan(limitMs);
  expect(grown, `${what}: array buffers grew by ${grown} bytes`).toBeLessThan(maxGrowth);
  return result;
}

/** The message of an unexpected exception, with the top of its stack, for the failure report. */
export function describeThrow(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 8).join('\n') : String(e);
}
