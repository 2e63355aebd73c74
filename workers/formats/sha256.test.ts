import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { Sha256, sha256, sha256Hex } from './sha256';

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
const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-4 test vectors', () => {
    expect(sha256Hex(ascii('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it("matches Node's crypto for random inputs of every length up to 300 and some large ones", () => {
    for (let length = 0; length <= 300; length++) {
      const bytes = randomBytes(length * 31 + 5, length);
      expect(sha256Hex(bytes), `length ${length}`).toBe(nodeSha256(bytes));
    }
    for (const length of [1000, 4095, 65_536, 1_000_001]) {
      const bytes = randomBytes(length, length);
      expect(sha256Hex(bytes), `length ${length}`).toBe(nodeSha256(bytes));
    }
  });

  it('returns 32 raw bytes from sha256()', () => {
    const digest = sha256(ascii('abc'));
    expect(digest).toBeInstanceOf(Uint8Array);
    expect(digest.length).toBe(32);
    expect(Buffer.from(digest).toString('hex')).toBe(sha256Hex(ascii('abc')));
  });

  it('gives the same digest when the input arrives in pieces', () => {
    const bytes = randomBytes(1234, 1000);
    const expected = nodeSha256(bytes);
    let seed = 1;
    for (let trial = 0; trial < 50; trial++) {
      const hash = new Sha256();
      let at = 0;
      while (at < bytes.length) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const take = Math.min(bytes.length - at, seed % 150);
        hash.update(bytes.subarray(at, at + take));
        at += take;
      }
      expect(Buffer.from(hash.digest()).toString('hex'), `trial ${trial}`).toBe(expected);
    }
  });

  it('reads only the view it is given', () => {
    const buffer = randomBytes(5, 300);
    for (let start = 0; start < 5; start++) {
      const view = buffer.subarray(start, start + 130);
      expect(sha256Hex(view)).toBe(nodeSha256(Uint8Array.from(view)));
    }
  });

  it('cannot be used after digest', () => {
    const hash = new Sha256().update(ascii('x'));
    hash.digest();
    expect(() => hash.digest()).toThrow();
    expect(() => hash.update(ascii('y'))).toThrow();
  });
});
