// RVC: every RV64C instruction (immediates at their limits, sign extension),
// the hints that execute as no-ops, and the reserved encodings that are
// illegal instructions with mtval = the 16-bit instruction.
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, u64, sext, CAUSE, type Case } from './support';

const BYTES = Array.from({ length: 512 }, (_, i) => (i * 37 + 0x81) & 0xff);
const DATA = `  .data\n  .balign 8\ncdata: .byte ${BYTES.join(', ')}\n  .balign 8\ncbuf: .space 512\n  .text`;
function le(off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(BYTES[off + i]);
  return v;
}
const rvc = (asm: string) => `  .option rvc\n${asm}\n  .option norvc`;

describe('quadrant 0', () => {
  it('c.addi4spn, c.lw, c.ld, c.sw, c.sd', async () => {
    const cases: Case[] = [
      { name: 'c.addi4spn 4', asm: `  li sp, 0x80001000\n${rvc('  c.addi4spn a0, sp, 4')}`, expected: 0x80001004n },
      { name: 'c.addi4spn 1020', asm: `  li sp, 0x80001000\n${rvc('  c.addi4spn a0, sp, 1020')}`, expected: 0x80001000n + 1020n },
      { name: 'c.addi4spn 0x2a8', asm: `  li sp, 8\n${rvc('  c.addi4spn s1, sp, 0x2a8')}\n  mv a0, s1`, expected: 8n + 0x2a8n },
    ];
    for (const off of [0, 4, 60, 124]) {
      cases.push({ name: `c.lw ${off}`, asm: `  la a1, cdata\n${rvc(`  c.lw a0, ${off}(a1)`)}`, expected: sext(le(off, 4), 32) });
    }
    for (const off of [0, 8, 128, 248]) {
      cases.push({ name: `c.ld ${off}`, asm: `  la s0, cdata\n${rvc(`  c.ld a0, ${off}(s0)`)}`, expected: le(off, 8) });
    }
    for (const off of [0, 124]) {
      cases.push({
        name: `c.sw ${off}`,
        asm: `  la a1, cbuf\n  li a2, -1\n  sd a2, ${off}(a1)\n  li a5, 0x12345678abcdef01\n${rvc(`  c.sw a5, ${off}(a1)`)}\n  ld a0, ${off}(a1)`,
        expected: 0xffffffffabcdef01n,
      });
    }
    for (const off of [0, 248]) {
      cases.push({
        name: `c.sd ${off}`,
        asm: `  la a1, cbuf\n  li s1, 0x12345678abcdef01\n${rvc(`  c.sd s1, ${off}(a1)`)}\n  ld a0, ${off}(a1)`,
        expected: 0x12345678abcdef01n,
      });
    }
    await checkCases(cases, {}, DATA);
  });
});

describe('quadrant 1', () => {
  it('c.addi, c.addiw, c.li, c.addi16sp, c.lui', async () => {
    await checkCases([
      { name: 'c.addi -32', asm: `  li a0, 5\n${rvc('  c.addi a0, -32')}`, expected: u64(-27n) },
      { name: 'c.addi 31', asm: `  li a0, -1\n${rvc('  c.addi a0, 31')}`, expected: 30n },
      { name: 'c.addi on a 64-bit value', asm: `  li a0, 0x7fffffffffffffff\n${rvc('  c.addi a0, 1')}`, expected: 0x8000000000000000n },
      { name: 'c.addiw overflow', asm: `  li a0, 0x7fffffff\n${rvc('  c.addiw a0, 1')}`, expected: sext(0x80000000n, 32) },
      { name: 'c.addiw 0 (sext.w)', asm: `  li a0, 0x12345678fedcba98\n${rvc('  c.addiw a0, 0')}`, expected: sext(0xfedcba98n, 32) },
      { name: 'c.addiw -32', asm: `  li a0, 0\n${rvc('  c.addiw a0, -32')}`, expected: u64(-32n) },
      { name: 'c.li -32', asm: rvc('  c.li a0, -32'), expected: u64(-32n) },
      { name: 'c.li 31', asm: rvc('  c.li a0, 31'), expected: 31n },
      { name: 'c.li 0', asm: `  li a0, 9\n${rvc('  c.li a0, 0')}`, expected: 0n },
      { name: 'c.addi16sp 496', asm: `  li sp, 0x80002000\n${rvc('  c.addi16sp sp, 496')}\n  mv a0, sp`, expected: 0x80002000n + 496n },
      { name: 'c.addi16sp -512', asm: `  li sp, 0x80002000\n${rvc('  c.addi16sp sp, -512')}\n  mv a0, sp`, expected: 0x80002000n - 512n },
      { name: 'c.addi16sp 16', asm: `  li sp, 0\n${rvc('  c.addi16sp sp, 16')}\n  mv a0, sp`, expected: 16n },
      { name: 'c.lui 1', asm: rvc('  c.lui a0, 1'), expected: 0x1000n },
      { name: 'c.lui 31', asm: rvc('  c.lui a0, 31'), expected: 0x1f000n },
      { name: 'c.lui 0xfffe0 (sign-extended)', asm: rvc('  c.lui a0, 0xfffe0'), expected: u64(-0x20000n) },
      { name: 'c.lui 0xfffff', asm: rvc('  c.lui a0, 0xfffff'), expected: u64(-0x1000n) },
    ]);
  });

  it('c.srli, c.srai, c.andi (6-bit shamt on RV64)', async () => {
    const x = 0x8000000000000001n;
    const y = 0xfedcba9876543210n;
    await checkCases([
      { name: 'c.srli 1', asm: `${li('a0', x)}\n${rvc('  c.srli a0, 1')}`, expected: x >> 1n },
      { name: 'c.srli 32', asm: `${li('a0', y)}\n${rvc('  c.srli a0, 32')}`, expected: y >> 32n },
      { name: 'c.srli 63', asm: `${li('a0', x)}\n${rvc('  c.srli a0, 63')}`, expected: 1n },
      { name: 'c.srai 1', asm: `${li('a0', x)}\n${rvc('  c.srai a0, 1')}`, expected: 0xc000000000000000n },
      { name: 'c.srai 32', asm: `${li('a0', y)}\n${rvc('  c.srai a0, 32')}`, expected: 0xfffffffffedcba98n },
      { name: 'c.srai 63', asm: `${li('a0', x)}\n${rvc('  c.srai a0, 63')}`, expected: u64(-1n) },
      { name: 'c.andi -1', asm: `${li('a0', y)}\n${rvc('  c.andi a0, -1')}`, expected: y },
      { name: 'c.andi -32', asm: `${li('a0', y)}\n${rvc('  c.andi a0, -32')}`, expected: y & u64(-32n) },
      { name: 'c.andi 31', asm: `${li('a0', y)}\n${rvc('  c.andi a0, 31')}`, expected: y & 31n },
      { name: 'c.andi 0', asm: `${li('a0', y)}\n${rvc('  c.andi a0, 0')}`, expected: 0n },
    ]);
  });

  it('c.sub, c.xor, c.or, c.and, c.subw, c.addw', async () => {
    const a = 0x00000000ffffffffn;
    const b = 0x0f0f0f0f80000001n;
    const pre = `${li('a0', a)}\n${li('s1', b)}`;
    await checkCases([
      { name: 'c.sub', asm: `${pre}\n${rvc('  c.sub a0, s1')}`, expected: u64(a - b) },
      { name: 'c.xor', asm: `${pre}\n${rvc('  c.xor a0, s1')}`, expected: a ^ b },
      { name: 'c.or', asm: `${pre}\n${rvc('  c.or a0, s1')}`, expected: a | b },
      { name: 'c.and', asm: `${pre}\n${rvc('  c.and a0, s1')}`, expected: a & b },
      { name: 'c.subw', asm: `${pre}\n${rvc('  c.subw a0, s1')}`, expected: sext(a - b, 32) },
      { name: 'c.addw', asm: `${pre}\n${rvc('  c.addw a0, s1')}`, expected: sext(a + b, 32) },
      { name: 'c.addw overflow', asm: `  li a0, 0x7fffffff\n  li a5, 1\n${rvc('  c.addw a0, a5')}`, expected: sext(0x80000000n, 32) },
      { name: 'c.subw', asm: `  li a0, 0\n  li s0, 1\n${rvc('  c.subw a0, s0')}`, expected: u64(-1n) },
    ]);
  });

  it('c.j, c.beqz, c.bnez reach their range limits', async () => {
    const r = await run(`
  .option rvc
  li a0, 0
  li s0, 0
  c.j 1f
  .rept 1022
  c.li a0, 9
  .endr
1:
  c.beqz s0, 2f
  .rept 126
  c.li a0, 8
  .endr
2:
  c.addi a0, 1
  c.bnez a0, 3f
  c.li a0, 7
3:
  .option norvc
`);
    expect(r.reg('a0')).toBe(1n);
  });
});

describe('quadrant 2', () => {
  it('c.slli, c.lwsp, c.ldsp, c.swsp, c.sdsp, c.mv, c.add', async () => {
    const y = 0xfedcba9876543210n;
    await checkCases([
      { name: 'c.slli 1', asm: `${li('a0', y)}\n${rvc('  c.slli a0, 1')}`, expected: u64(y << 1n) },
      { name: 'c.slli 32', asm: `${li('a0', y)}\n${rvc('  c.slli a0, 32')}`, expected: u64(y << 32n) },
      { name: 'c.slli 63 (any register)', asm: `  li t4, 3\n${rvc('  c.slli t4, 63')}\n  mv a0, t4`, expected: 1n << 63n },
      { name: 'c.lwsp 0', asm: `  la sp, cdata\n${rvc('  c.lwsp a0, 0(sp)')}`, expected: sext(le(0, 4), 32) },
      { name: 'c.lwsp 252', asm: `  la sp, cdata\n${rvc('  c.lwsp a0, 252(sp)')}`, expected: sext(le(252, 4), 32) },
      { name: 'c.lwsp into ra', asm: `  la sp, cdata\n${rvc('  c.lwsp ra, 4(sp)')}\n  mv a0, ra`, expected: sext(le(4, 4), 32) },
      { name: 'c.ldsp 504', asm: `  la sp, cdata\n${rvc('  c.ldsp a0, 504(sp)')}`, expected: le(504, 8) },
      { name: 'c.ldsp 8', asm: `  la sp, cdata\n${rvc('  c.ldsp s2, 8(sp)')}\n  mv a0, s2`, expected: le(8, 8) },
      {
        name: 'c.swsp 252',
        asm: `  la sp, cbuf\n  sd zero, 248(sp)\n  li t3, 0x1234567887654321\n${rvc('  c.swsp t3, 252(sp)')}\n  ld a0, 248(sp)`,
        expected: 0x8765432100000000n,
      },
      { name: 'c.sdsp 504', asm: `  la sp, cbuf\n  li t3, 0x1234567887654321\n${rvc('  c.sdsp t3, 504(sp)')}\n  ld a0, 504(sp)`, expected: 0x1234567887654321n },
      { name: 'c.mv', asm: `  li t3, -5\n${rvc('  c.mv a0, t3')}`, expected: u64(-5n) },
      { name: 'c.add', asm: `  li a0, 40\n  li t3, 2\n${rvc('  c.add a0, t3')}`, expected: 42n },
      { name: 'c.add wraps', asm: `  li a0, -1\n  li t3, 1\n${rvc('  c.add a0, t3')}`, expected: 0n },
    ], {}, DATA);
  });

  it('c.jr, c.jalr (links pc + 2), c.ebreak (breakpoint, mtval 0), c.nop', async () => {
    const r = await run(`
  .option rvc
  la a1, 1f
  c.jr a1
  li a0, 99
1:
  la a2, func
cj:
  c.jalr a2
  c.nop
brk:
  c.ebreak
  c.addi a0, 1
  EXIT
func:
  mv a3, ra
  c.jr ra
`);
    expect(r.reg('a3')).toBe(r.sym('cj') + 2n);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.breakpoint, r.sym('brk'), 0n]]);
    expect(r.reg('a0')).toBe(1n);
  });
});

describe('hints and reserved encodings', () => {
  it('hints execute as no-ops: c.nop imm, c.addi x0, c.li x0, c.lui x0, c.mv x0, c.add x0, c.slli x0, shamt 0', async () => {
    const hints = [
      0x0005, // c.nop with imm 1 (c.addi x0, 1)
      0x4001 | (5 << 2), // c.li x0, 5
      0x6001 | (1 << 2), // c.lui x0, 1
      0x802a, // c.mv x0, a0
      0x902a, // c.add x0, a0
      0x0006, // c.slli x0, 1
      0x0502, // c.slli a0, 0 (c.slli64)
      0x8101, // c.srli a0, 0 (c.srli64)
      0x8501, // c.srai a0, 0 (c.srai64)
    ];
    const r = await run(`
  li a0, 0x123456789
${hints.map((h) => `  .2byte 0x${h.toString(16)}`).join('\n')}
  mv a1, a0
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a1')).toBe(0x123456789n);
    expect(r.x[0]).toBe(0n);
  });

  it('reserved and unsupported encodings are illegal instructions with mtval = the 16 bits', async () => {
    const bad = [
      0x0000, // all zeros
      0x0004, // c.addi4spn with imm 0 (rd' = x9)
      0x0010, // c.addi4spn with imm 0 (rd' = x12)
      0x4002, // c.lwsp rd = x0
      0x6002, // c.ldsp rd = x0
      0x8002, // c.jr rs1 = x0
      0x2005, // c.addiw rd = x0
      0x2001, // c.addiw rd = x0, imm 0
      0x6101, // c.addi16sp with imm 0
      0x6501, // c.lui a0, 0 (imm 0)
      0x9c41, // reserved CA: funct6 100111, funct2 10
      0x9c61, // reserved CA: funct6 100111, funct2 11
      0x8000, // quadrant 0 funct3 100 (reserved)
      0x2108, // c.fld: no usable FPU
      0xa108, // c.fsd
      0x2502, // c.fldsp
      0xa02a, // c.fsdsp
    ];
    const r = await run(`
  li a0, 77
at:
${bad.map((b) => `  .2byte 0x${b.toString(16)}`).join('\n')}
  mv a1, a0
`);
    const at = r.sym('at');
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual(bad.map((b, i) => [CAUSE.illegal, at + BigInt(2 * i), BigInt(b)]));
    expect(r.reg('a1')).toBe(77n);
  });
});
