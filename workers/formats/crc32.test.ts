import { describe, it, expect } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from './crc32';

/** Deterministic pseudo-random bytes (mulberry32). */
function randomBytes(seed: number, length: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32', () => {
  it('matches the standard check values', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    expect(crc32(ascii('a'))).toBe(0xe8b7be43);
    expect(crc32(new Uint8Array(32))).toBe(0x190a55ad);
    expect(crc32(new Uint8Array(32).fill(0xff))).toBe(0xff6cab0b);
  });

  it("matches zlib's crc32 for random inputs of every length up to 300 and some large ones", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = randomBytes(length + 1, length);
      expect(crc32(bytes), `length ${length}`).toBe(zlibCrc32(bytes));
    }
    for (const length of [4096, 65_537, 1_000_003]) {
      const bytes = randomBytes(length, length);
      expect(crc32(bytes), `length ${length}`).toBe(zlibCrc32(bytes));
    }
  });

  it('is unsigned', () => {
    const bytes = ascii('123456789');
    expect(crc32(bytes)).toBeGreaterThan(0x7fffffff);
  });

  it('continues a running checksum as zlib does', () => {
    const bytes = randomBytes(7, 1000);
    for (const split of [0, 1, 7, 8, 9, 500, 999, 1000]) {
      const first = crc32(bytes.subarray(0, split));
      expect(crc32(bytes.subarray(split), first), `split at ${split}`).toBe(crc32(bytes));
      expect(crc32(bytes.subarray(split), first)).toBe(zlibCrc32(bytes.subarray(split), zlibCrc32(bytes.subarray(0, split))));
    }
  });

  it('reads only the view it is given, at any alignment', () => {
    const buffer = randomBytes(99, 200);
    for (let start = 0; start < 9; start++) {
      const view = buffer.subarray(start, start + 77);
      expect(crc32(view)).toBe(zlibCrc32(Uint8Array.from(view)));
    }
  });
});
