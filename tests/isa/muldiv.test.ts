// M extension: mul, mulh, mulhsu, mulhu, div, divu, rem, remu and the W forms,
// including division by zero and the signed overflow MIN / -1 (no traps).
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, u64, s64, u32, s32, sext, type Case } from './support';

const MIN = -0x8000000000000000n;
const V = [0n, 1n, -1n, 2n, -2n, 3n, 7n, -7n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffffffffffffffn, MIN, 0x0123456789abcdefn,
  -0x0123456789abcdefn];

/** Division truncating towards zero, with the ISA's results for x / 0 and MIN / -1. */
function div(a: bigint, b: bigint, min: bigint): bigint {
  if (b === 0n) return -1n;
  if (a === min && b === -1n) return min;
  return a / b; // BigInt division truncates towards zero
}
function rem(a: bigint, b: bigint, min: bigint): bigint {
  if (b === 0n) return a;
  if (a === min && b === -1n) return 0n;
  return a % b; // sign of the dividend
}

function rr(op: string, f: (a: bigint, b: bigint) => bigint, as = V, bs = V): Case[] {
  const out: Case[] = [];
  for (const a of as) for (const b of bs) {
    out.push({ name: `${op} ${a}, ${b}`, asm: `${li('a1', a)}\n${li('a2', b)}\n  ${op} a0, a1, a2`, expected: u64(f(u64(a), u64(b))) });
  }
  return out;
}

describe('multiplication', () => {
  it('mul, mulh, mulhsu, mulhu', async () => {
    await checkCases([
      ...rr('mul', (a, b) => a * b),
      ...rr('mulh', (a, b) => (s64(a) * s64(b)) >> 64n),
      ...rr('mulhsu', (a, b) => (s64(a) * b) >> 64n),
      ...rr('mulhu', (a, b) => (a * b) >> 64n),
    ]);
  });

  it('mulw multiplies the low 32 bits and sign-extends', async () => {
    const wide = [...V, 0x1234567800000003n, 0xffffffff00010000n];
    await checkCases(rr('mulw', (a, b) => sext(a * b, 32), wide, wide));
  });
});

describe('division', () => {
  it('div, divu, rem, remu: by zero, MIN / -1, signs', async () => {
    await checkCases([
      ...rr('div', (a, b) => div(s64(a), s64(b), MIN)),
      ...rr('divu', (a, b) => (b === 0n ? u64(-1n) : a / b)),
      ...rr('rem', (a, b) => rem(s64(a), s64(b), MIN)),
      ...rr('remu', (a, b) => (b === 0n ? a : a % b)),
    ]);
  });

  it('divw, divuw, remw, remuw: low 32 bits in, sign-extended 32-bit results out', async () => {
    const MIN32 = -0x80000000n;
    const wide = [0n, 1n, -1n, 2n, -7n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x1234567800000007n, 0xffffffff80000000n,
      0x00000001fffffffen];
    await checkCases([
      ...rr('divw', (a, b) => div(s32(a), s32(b), MIN32), wide, wide),
      ...rr('divuw', (a, b) => sext(u32(b) === 0n ? 0xffffffffn : u32(a) / u32(b), 32), wide, wide),
      ...rr('remw', (a, b) => rem(s32(a), s32(b), MIN32), wide, wide),
      ...rr('remuw', (a, b) => sext(u32(b) === 0n ? u32(a) : u32(a) % u32(b), 32), wide, wide),
    ]);
  });

  it('division by zero and overflow raise no exception', async () => {
    const r = await run(`
  li a1, 5
  li a2, -1
  li a3, 1
  slli a3, a3, 63
  div a4, a1, zero
  rem a5, a1, zero
  div a6, a3, a2
  rem a7, a3, a2
  divw s1, a1, zero
  remuw s2, a2, zero
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a4')).toBe(u64(-1n));
    expect(r.reg('a5')).toBe(5n);
    expect(r.reg('a6')).toBe(1n << 63n);
    expect(r.reg('a7')).toBe(0n);
    expect(r.reg('s1')).toBe(u64(-1n));
    expect(r.reg('s2')).toBe(u64(-1n)); // remuw: the dividend's low 32 bits, sign-extended
  });
});
