import { describe, expect, it } from 'vitest';
import { decodeFcsr, formatDouble, formatSingle, isNanBoxed, ROUNDING_MODES } from './format';

const h = (n: bigint) => '0x' + n.toString(16).padStart(16, '0');

describe('floating-point values', () => {
  it('doubles: the shortest decimal that reads back, signed zero, infinities, quiet and signalling NaNs', () => {
    expect(formatDouble(h(0x3ff8000000000000n))).toBe('1.5');
    expect(formatDouble(h(0x3fd5555555555555n))).toBe('0.3333333333333333');
    expect(formatDouble(h(0x3fb999999999999an))).toBe('0.1');
    expect(formatDouble(h(0xc002000000000000n))).toBe('-2.25');
    expect(formatDouble(h(0n))).toBe('0');
    expect(formatDouble(h(0x8000000000000000n))).toBe('-0');
    expect(formatDouble(h(0x7ff0000000000000n))).toBe('inf');
    expect(formatDouble(h(0xfff0000000000000n))).toBe('-inf');
    expect(formatDouble(h(0x7ff8000000000000n))).toBe('NaN');
    expect(formatDouble(h(0x7ff0000000000001n))).toBe('sNaN');
    expect(formatDouble(h(0x0000000000000001n))).toBe('5e-324');
    expect(formatDouble(h(0x7fefffffffffffffn))).toBe('1.7976931348623157e+308');
  });

  it('singles from the low half, with the fewest digits that read back as the same single', () => {
    expect(formatSingle(h(0xffffffff3dcccccdn))).toBe('0.1');
    expect(formatSingle(h(0xffffffff40400000n))).toBe('3');
    expect(formatSingle(h(0xffffffff3eaaaaabn))).toBe('0.33333334');
    expect(formatSingle(h(0xffffffff7f7fffffn))).toBe('3.4028235e+38');
    expect(formatSingle(h(0xffffffff00000001n))).toBe('1e-45');
    expect(formatSingle(h(0xffffffff80000000n))).toBe('-0');
    expect(formatSingle(h(0xffffffffff800000n))).toBe('-inf');
    expect(formatSingle(h(0xffffffff7fc00000n))).toBe('NaN');
    expect(formatSingle(h(0xffffffff7fa00000n))).toBe('sNaN');
  });

  it('NaN-boxing: the upper 32 bits all ones', () => {
    expect(isNanBoxed(h(0xffffffff40400000n))).toBe(true);
    expect(isNanBoxed(h(0xfffffffe40400000n))).toBe(false);
    expect(isNanBoxed(h(0x3ff0000000000000n))).toBe(false);
  });

  it('fcsr: frm by name, the five flags', () => {
    const d = decodeFcsr(h(0x29n));
    expect(d.frm).toBe(1);
    expect(d.fflags).toBe(9);
    expect(d.rounding.name).toBe('rtz');
    expect(d.flags.map((f) => `${f.name}${f.set ? '+' : '-'}`).join(' ')).toBe('NV- DZ+ OF- UF- NX+');
    expect(decodeFcsr(h(0xffn)).flags.every((f) => f.set)).toBe(true);
    expect(decodeFcsr(h(0xe0n)).rounding.name).toBe('invalid');
    expect(ROUNDING_MODES.map((r) => r.name)).toEqual(['rne', 'rtz', 'rdn', 'rup', 'rmm', 'reserved', 'reserved', 'invalid']);
  });
});
