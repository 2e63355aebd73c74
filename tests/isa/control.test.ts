// Branches and jumps: every condition with signed/unsigned corner values, the
// offset range, link registers (jal, jalr, c.jalr: pc + 4 or pc + 2), jalr's
// cleared bit 0, rd == rs1, 2-byte-aligned targets, and reserved encodings.
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, u64, s64, CAUSE, type Case } from './support';

const V = [0n, 1n, -1n, 2n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x80000000n];

describe('conditional branches', () => {
  it('beq, bne, blt, bge, bltu, bgeu: taken exactly when the condition holds', async () => {
    const conds: [string, (a: bigint, b: bigint) => boolean][] = [
      ['beq', (a, b) => a === b],
      ['bne', (a, b) => a !== b],
      ['blt', (a, b) => s64(a) < s64(b)],
      ['bge', (a, b) => s64(a) >= s64(b)],
      ['bltu', (a, b) => a < b],
      ['bgeu', (a, b) => a >= b],
    ];
    const cases: Case[] = [];
    for (const [op, f] of conds) {
      for (const a of V) {
        for (const b of V) {
          cases.push({
            name: `${op} ${a}, ${b}`,
            asm: `${li('a1', a)}\n${li('a2', b)}\n  li a0, 1\n  ${op} a1, a2, 1f\n  li a0, 0\n1:`,
            expected: f(u64(a), u64(b)) ? 1n : 0n,
          });
        }
      }
    }
    await checkCases(cases);
  });

  it('a backward branch loops', async () => {
    const r = await run(`
  li a0, 0
  li a1, 10
1:
  add a0, a0, a1
  addi a1, a1, -1
  bnez a1, 1b
`);
    expect(r.reg('a0')).toBe(55n);
  });

  it('reaches +4092 and -4096 bytes (the B-type range with 4-byte instructions)', async () => {
    const r = await run(`
  li a0, 1
  beq x0, x0, 2f
  .rept 1022
  li a0, 99
  .endr
2:
  li a1, 0
  j 3f
4:
  li a1, 1
  j 5f
  .rept 1022
  li a1, 99
  .endr
3:
  beq x0, x0, 4b
5:
`);
    expect(r.reg('a0')).toBe(1n);
    expect(r.reg('a1')).toBe(1n);
  });

  it('branch funct3 2 and 3 are illegal instructions', async () => {
    const bad = [0x00b52063, 0x00b53063]; // funct3 010 and 011 with rs1=a0, rs2=a1
    const r = await run(bad.map((b) => `  .4byte 0x${b.toString(16)}`).join('\n'));
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual(bad.map((b) => [CAUSE.illegal, BigInt(b)]));
  });
});

describe('jumps and links', () => {
  it('jal links pc + 4; j does not link', async () => {
    const r = await run(`
  li ra, 0
  li a1, 7
call:
  jal ra, func
after:
  j 1f
  li a1, 99
1:
  EXIT
func:
  mv a0, ra
  ret
`);
    expect(r.reg('a0')).toBe(r.sym('after'));
    expect(r.reg('a0')).toBe(r.sym('call') + 4n);
    expect(r.reg('a1')).toBe(7n);
  });

  it('jal reaches far targets (a ±1 MiB range) forwards and backwards', async () => {
    const r = await run(`
  li a0, 0
  jal ra, far
back:
  addi a0, a0, 1
  j 2f
  .skip 0x40000
far:
  addi a0, a0, 10
  mv a2, ra
  j back
2:
`);
    expect(r.reg('a0')).toBe(11n);
    expect(r.reg('a2')).toBe(r.sym('back'));
  });

  it('jalr jumps to (rs1 + imm) with bit 0 cleared and links pc + 4', async () => {
    const r = await run(`
  la a1, target
  addi a1, a1, 1
  li a0, 0
here:
  jalr ra, 0(a1)
  li a0, 99
target:
  mv a2, ra
  la a3, target2
  addi a3, a3, 16
  jalr t0, -16(a3)
  li a0, 98
target2:
  mv a4, t0
  la a5, target3
  addi a5, a5, -2047
  jalr x0, 2047(a5)
  li a0, 97
target3:
`);
    expect(r.reg('a0')).toBe(0n);
    expect(r.reg('a2')).toBe(r.sym('here') + 4n);
    expect(r.reg('a4')).toBe(r.sym('target2') - 4n);
  });

  it('jalr with rd == rs1 jumps to the old value and then links', async () => {
    const r = await run(`
  la a1, 1f
at:
  jalr a1, 0(a1)
  li a0, 99
1:
`);
    expect(r.reg('a1')).toBe(r.sym('at') + 4n);
    expect(r.reg('a0')).toBe(0n);
  });

  it('jalr with funct3 != 0 is an illegal instruction', async () => {
    const bad = 0x000580e7 | (1 << 12); // jalr ra, 0(a1) with funct3 001
    const r = await run(`
  li ra, 5
  .4byte 0x${bad.toString(16)}
  mv a0, ra
`);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual([[CAUSE.illegal, BigInt(bad)]]);
    expect(r.reg('a0')).toBe(5n);
  });

  // (RV64C has no c.jal: that encoding is c.addiw, tested with the other compressed instructions.)
  it('compressed jumps: c.j, c.jr, c.jalr links pc + 2, c.beqz, c.bnez', async () => {
    const r = await run(`
  .option rvc
  li s0, 0
  li s1, 5
  li a0, 0
  c.j 1f
  li a0, 99
1:
  la a1, 2f
  c.jr a1
  li a0, 98
2:
  la a2, func
cj:
  c.jalr a2
after:
  c.beqz s0, 3f
  li a0, 97
3:
  c.bnez s0, 4f
  c.bnez s1, 5f
4:
  li a0, 96
5:
  c.beqz s1, 6f
  c.addi a0, 1
6:
  EXIT
func:
  mv a3, ra
  ret
`);
    expect(r.reg('a0')).toBe(1n);
    expect(r.reg('a3')).toBe(r.sym('cj') + 2n);
    expect(r.sym('after')).toBe(r.sym('cj') + 2n);
  });

  it('jumps and branches to 2-byte-aligned addresses are fine with C', async () => {
    const r = await run(`
  .option rvc
  li a0, 0
  .balign 4
  c.nop
odd:
  c.addi a0, 1
  li a1, 3
  bge a0, a1, 1f
  la a2, odd
  andi a3, a2, 3
  jalr x0, 0(a2)
1:
  beq x0, x0, odd2
  li a0, 99
  .balign 4
  c.nop
odd2:
  c.addi a0, 10
`);
    expect(r.sym('odd') % 4n).toBe(2n);
    expect(r.sym('odd2') % 4n).toBe(2n);
    expect(r.reg('a3')).toBe(2n);
    expect(r.reg('a0')).toBe(13n);
    expect(r.traps).toEqual([]);
  });
});
