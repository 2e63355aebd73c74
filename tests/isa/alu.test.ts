// Integer ALU: register and immediate forms, shifts (6-bit shamt on RV64, the
// W forms' 5-bit shamt and sign extension), LUI/AUIPC, writes to x0, and the
// reserved shift encodings. Expected values: the ISA manual, computed with BigInt.
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, u64, s64, u32, s32, sext, CAUSE, type Case } from './support';

const V = [0n, 1n, -1n, 0x7fffffffn, 0x80000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x0123456789abcdefn];
const hex = (v: bigint) => (v < 0n ? '-0x' + (-v).toString(16) : '0x' + v.toString(16));

function rr(op: string, f: (a: bigint, b: bigint) => bigint, as = V, bs = V): Case[] {
  const out: Case[] = [];
  for (const a of as) {
    for (const b of bs) {
      out.push({ name: `${op} ${hex(a)}, ${hex(b)}`, asm: `${li('a1', a)}\n${li('a2', b)}\n  ${op} a0, a1, a2`, expected: f(u64(a), u64(b)) });
    }
  }
  return out;
}

function ri(op: string, f: (a: bigint, imm: bigint) => bigint, imms: bigint[], as = V): Case[] {
  const out: Case[] = [];
  for (const a of as) {
    for (const imm of imms) {
      out.push({ name: `${op} ${hex(a)}, ${imm}`, asm: `${li('a1', a)}\n  ${op} a0, a1, ${imm}`, expected: f(u64(a), imm) });
    }
  }
  return out;
}

const IMM12 = [0n, 1n, -1n, 2047n, -2048n, 0x555n];

describe('register-register ALU', () => {
  it('add, sub, and, or, xor, slt, sltu', async () => {
    await checkCases([
      ...rr('add', (a, b) => u64(a + b)),
      ...rr('sub', (a, b) => u64(a - b)),
      ...rr('and', (a, b) => a & b),
      ...rr('or', (a, b) => a | b),
      ...rr('xor', (a, b) => a ^ b),
      ...rr('slt', (a, b) => (s64(a) < s64(b) ? 1n : 0n)),
      ...rr('sltu', (a, b) => (a < b ? 1n : 0n)),
    ]);
  });

  it('addw and subw use the low 32 bits and sign-extend the result', async () => {
    const wide = [...V, 0x123456780000ffffn, 0xffffffff7fffffffn];
    await checkCases([
      ...rr('addw', (a, b) => sext(a + b, 32), wide, wide),
      ...rr('subw', (a, b) => sext(a - b, 32), wide, wide),
    ]);
  });
});

describe('immediate ALU', () => {
  it('addi, slti, sltiu, xori, ori, andi with sign-extended 12-bit immediates', async () => {
    await checkCases([
      ...ri('addi', (a, i) => u64(a + i), IMM12),
      ...ri('slti', (a, i) => (s64(a) < i ? 1n : 0n), IMM12),
      // sltiu compares with the sign-extended immediate as an unsigned number.
      ...ri('sltiu', (a, i) => (a < u64(i) ? 1n : 0n), IMM12),
      ...ri('xori', (a, i) => a ^ u64(i), IMM12),
      ...ri('ori', (a, i) => a | u64(i), IMM12),
      ...ri('andi', (a, i) => a & u64(i), IMM12),
    ]);
  });

  it('addiw sign-extends the 32-bit sum', async () => {
    await checkCases(ri('addiw', (a, i) => sext(a + i, 32), IMM12, [...V, 0xffffffff7fffffffn]));
  });

  it('seqz, snez, not, neg (pseudo-instructions) and sltiu x, 1', async () => {
    await checkCases([
      ...V.map((a) => ({ name: `seqz ${hex(a)}`, asm: `${li('a1', a)}\n  seqz a0, a1`, expected: u64(a) === 0n ? 1n : 0n })),
      ...V.map((a) => ({ name: `snez ${hex(a)}`, asm: `${li('a1', a)}\n  snez a0, a1`, expected: u64(a) !== 0n ? 1n : 0n })),
      ...V.map((a) => ({ name: `not ${hex(a)}`, asm: `${li('a1', a)}\n  not a0, a1`, expected: u64(~a) })),
      ...V.map((a) => ({ name: `neg ${hex(a)}`, asm: `${li('a1', a)}\n  neg a0, a1`, expected: u64(-a) })),
    ]);
  });
});

describe('shifts', () => {
  const AMOUNTS = [0n, 1n, 31n, 32n, 33n, 63n, 64n, 65n, -1n];
  const SHIFTED = [1n, -1n, 0x8000000000000000n, 0x0123456789abcdefn, 0x80000000n, 0xfedcba9876543210n];

  it('sll, srl, sra use the low 6 bits of rs2', async () => {
    await checkCases([
      ...rr('sll', (a, b) => u64(a << (b & 63n)), SHIFTED, AMOUNTS),
      ...rr('srl', (a, b) => a >> (b & 63n), SHIFTED, AMOUNTS),
      ...rr('sra', (a, b) => u64(s64(a) >> (b & 63n)), SHIFTED, AMOUNTS),
    ]);
  });

  it('slli, srli, srai take a 6-bit shamt', async () => {
    const sh = [0n, 1n, 31n, 32n, 63n];
    await checkCases([
      ...ri('slli', (a, s) => u64(a << s), sh, SHIFTED),
      ...ri('srli', (a, s) => a >> s, sh, SHIFTED),
      ...ri('srai', (a, s) => u64(s64(a) >> s), sh, SHIFTED),
    ]);
  });

  it('sllw, srlw, sraw use the low 5 bits of rs2 and sign-extend the 32-bit result', async () => {
    await checkCases([
      ...rr('sllw', (a, b) => sext(u32(a) << (b & 31n), 32), SHIFTED, AMOUNTS),
      ...rr('srlw', (a, b) => sext(u32(a) >> (b & 31n), 32), SHIFTED, AMOUNTS),
      ...rr('sraw', (a, b) => u64(s32(a) >> (b & 31n)), SHIFTED, AMOUNTS),
    ]);
  });

  it('slliw, srliw, sraiw take a 5-bit shamt and sign-extend', async () => {
    const sh = [0n, 1n, 15n, 31n];
    await checkCases([
      ...ri('slliw', (a, s) => sext(u32(a) << s, 32), sh, SHIFTED),
      ...ri('srliw', (a, s) => sext(u32(a) >> s, 32), sh, SHIFTED),
      ...ri('sraiw', (a, s) => u64(s32(a) >> s), sh, SHIFTED),
    ]);
  });

  it('reserved shift-immediate encodings are illegal instructions with mtval = the instruction', async () => {
    const bad = [
      0x04051513, // slli a0, a0 with imm[6] set (shamt 64)
      0x84055513, // srli a0, a0 with imm[11:6] = 100001 (not 000000 / 010000)
      0x0205151b, // slliw a0, a0 with imm[5] set
      0x0205551b, // srliw a0, a0 with imm[5] set
      0x4205551b, // sraiw a0, a0 with imm[5] set
      0x2005551b, // srliw with funct7 0010000
    ];
    const r = await run(`
  li a0, 0x1234
${bad.map((b) => `  .4byte 0x${b.toString(16)}`).join('\n')}
  mv a1, a0
`);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual(bad.map((b) => [CAUSE.illegal, BigInt(b)]));
    expect(r.reg('a1')).toBe(0x1234n); // none of them wrote a0
  });
});

describe('LUI and AUIPC', () => {
  it('lui places a sign-extended 20-bit immediate in bits 31:12', async () => {
    await checkCases([
      { name: 'lui 0x12345', asm: '  lui a0, 0x12345', expected: 0x12345000n },
      { name: 'lui 0x7ffff', asm: '  lui a0, 0x7ffff', expected: 0x7ffff000n },
      { name: 'lui 0x80000', asm: '  lui a0, 0x80000', expected: 0xffffffff80000000n },
      { name: 'lui 0xfffff', asm: '  lui a0, 0xfffff', expected: 0xfffffffffffff000n },
      { name: 'lui 0', asm: '  li a0, -1\n  lui a0, 0', expected: 0n },
      { name: 'lui + addiw (li 0x7fffffff)', asm: '  lui a0, 0x80000\n  addiw a0, a0, -1', expected: 0x7fffffffn },
    ]);
  });

  it('auipc adds the sign-extended immediate to its own address', async () => {
    const at = (imm: string) => `1:\n  auipc a0, ${imm}\n  la a1, 1b\n  sub a0, a0, a1`;
    await checkCases([
      { name: 'auipc 0', asm: at('0'), expected: 0n },
      { name: 'auipc 1', asm: at('1'), expected: 0x1000n },
      { name: 'auipc 0x7ffff', asm: at('0x7ffff'), expected: 0x7ffff000n },
      { name: 'auipc 0x80000', asm: at('0x80000'), expected: sext(0x80000000n, 32) },
      { name: 'auipc 0xfffff', asm: at('0xfffff'), expected: u64(-0x1000n) },
    ]);
    const r = await run('here:\n  auipc a0, 0\n  auipc a1, 0x80000');
    expect(r.reg('a0')).toBe(r.sym('here'));
    expect(r.reg('a1')).toBe(u64(r.sym('here') + 4n - 0x80000000n));
  });
});

describe('x0', () => {
  it('writes to x0 are discarded and x0 reads as zero', async () => {
    const r = await run(`
  li a1, 5
  add x0, a1, a1
  addi x0, x0, 7
  lui x0, 0x12345
  auipc x0, 1
  slli x0, a1, 3
  addw x0, a1, a1
  mv a0, x0
  add a2, x0, a1
  sub a3, x0, a1
`);
    expect(r.x[0]).toBe(0n);
    expect(r.reg('a0')).toBe(0n);
    expect(r.reg('a2')).toBe(5n);
    expect(r.reg('a3')).toBe(u64(-5n));
    expect(r.traps).toEqual([]);
  });
});

describe('fences', () => {
  it('fence, fence.tso, fence.i and sfence.vma (in M) execute as no-ops', async () => {
    const r = await run(`
  li a0, 1
  fence
  fence rw, rw
  fence.tso
  .4byte 0x0000100f
  sfence.vma
  sfence.vma a0, zero
  addi a0, a0, 1
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a0')).toBe(2n);
  });
});
