// RVC: each 16-bit instruction is expanded once, at reset, into the 32-bit
// instruction it stands for, so the interpreter has a single decoder.
import { COMPRESSED_TABLE } from './layout';

@inline function bit(h: u32, i: u32): u32 { return (h >> i) & 1; }
@inline function bits(h: u32, hi: u32, lo: u32): u32 { return (h >> lo) & ((1 << (hi - lo + 1)) - 1); }
@inline function sext(v: u32, width: u32): i32 { const s = 32 - width; return (<i32>(v << s)) >> s; }

function iType(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return ((<u32>imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
function sType(imm: i32, rs2: u32, rs1: u32, f3: u32, op: u32): u32 {
  const u = <u32>imm;
  return (((u >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 0x1f) << 7) | op;
}
function bType(imm: i32, rs2: u32, rs1: u32, f3: u32): u32 {
  const u = <u32>imm;
  return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
function jType(imm: i32, rd: u32): u32 {
  const u = <u32>imm;
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) |
    (((u >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;
}
function rType(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32): u32 {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}

const OP_IMM: u32 = 0x13;
const OP_IMM32: u32 = 0x1b;
const OP: u32 = 0x33;
const OP32: u32 = 0x3b;
const LOAD: u32 = 0x03;
const STORE: u32 = 0x23;
const LOAD_FP: u32 = 0x07;
const STORE_FP: u32 = 0x27;

/** The 32-bit equivalent of a 16-bit instruction, or 0 if it is illegal/reserved (on RV64GC). */
export function expandCompressed(h: u32): u32 {
  const quadrant = h & 3;
  const f3 = bits(h, 15, 13);
  const rdp = 8 + bits(h, 4, 2); // rd' / rs2'
  const rs1p = 8 + bits(h, 9, 7);
  const rd = bits(h, 11, 7);
  const rs2 = bits(h, 6, 2);
  if (quadrant == 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = (bits(h, 12, 11) << 4) | (bits(h, 10, 7) << 6) | (bit(h, 6) << 2) | (bit(h, 5) << 3);
        if (imm == 0) return 0;
        return iType(imm, 2, 0, rdp, OP_IMM);
      }
      case 2: { // c.lw
        const imm = (bits(h, 12, 10) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return iType(imm, rs1p, 2, rdp, LOAD);
      }
      case 3: { // c.ld
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return iType(imm, rs1p, 3, rdp, LOAD);
      }
      case 6: { // c.sw
        const imm = (bits(h, 12, 10) << 3) | (bit(h, 6) << 2) | (bit(h, 5) << 6);
        return sType(imm, rdp, rs1p, 2, STORE);
      }
      case 7: { // c.sd
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return sType(imm, rdp, rs1p, 3, STORE);
      }
      case 1: { // c.fld
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return iType(imm, rs1p, 3, rdp, LOAD_FP);
      }
      case 5: { // c.fsd
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 6, 5) << 6);
        return sType(imm, rdp, rs1p, 3, STORE_FP);
      }
      default: return 0; // reserved
    }
  }
  if (quadrant == 1) {
    const imm6 = sext((bit(h, 12) << 5) | bits(h, 6, 2), 6);
    switch (f3) {
      case 0: return iType(imm6, rd, 0, rd, OP_IMM); // c.addi (c.nop, hints)
      case 1: // c.addiw
        if (rd == 0) return 0;
        return iType(imm6, rd, 0, rd, OP_IMM32);
      case 2: return iType(imm6, 0, 0, rd, OP_IMM); // c.li
      case 3: {
        if (rd == 2) { // c.addi16sp
          const imm = sext((bit(h, 12) << 9) | (bit(h, 6) << 4) | (bit(h, 5) << 6) | (bits(h, 4, 3) << 7) | (bit(h, 2) << 5), 10);
          if (imm == 0) return 0;
          return iType(imm, 2, 0, 2, OP_IMM);
        }
        // c.lui
        if (imm6 == 0) return 0;
        return ((<u32>imm6 & 0xfffff) << 12) | (rd << 7) | 0x37;
      }
      case 4: {
        const shamt = (bit(h, 12) << 5) | bits(h, 6, 2);
        switch (bits(h, 11, 10)) {
          case 0: return iType(shamt, rs1p, 5, rs1p, OP_IMM); // c.srli
          case 1: return iType(shamt | 0x400, rs1p, 5, rs1p, OP_IMM); // c.srai
          case 2: return iType(imm6, rs1p, 7, rs1p, OP_IMM); // c.andi
          default: {
            const f2 = bits(h, 6, 5);
            if (bit(h, 12) == 0) {
              if (f2 == 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP); // c.sub
              if (f2 == 1) return rType(0, rdp, rs1p, 4, rs1p, OP); // c.xor
              if (f2 == 2) return rType(0, rdp, rs1p, 6, rs1p, OP); // c.or
              return rType(0, rdp, rs1p, 7, rs1p, OP); // c.and
            }
            if (f2 == 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP32); // c.subw
            if (f2 == 1) return rType(0, rdp, rs1p, 0, rs1p, OP32); // c.addw
            return 0;
          }
        }
      }
      case 5: { // c.j
        const imm = sext((bit(h, 12) << 11) | (bit(h, 11) << 4) | (bits(h, 10, 9) << 8) | (bit(h, 8) << 10) |
          (bit(h, 7) << 6) | (bit(h, 6) << 7) | (bits(h, 5, 3) << 1) | (bit(h, 2) << 5), 12);
        return jType(imm, 0);
      }
      default: { // c.beqz / c.bnez
        const imm = sext((bit(h, 12) << 8) | (bits(h, 11, 10) << 3) | (bits(h, 6, 5) << 6) | (bits(h, 4, 3) << 1) | (bit(h, 2) << 5), 9);
        return bType(imm, 0, rs1p, f3 == 6 ? 0 : 1);
      }
    }
  }
  if (quadrant == 2) {
    switch (f3) {
      case 0: { // c.slli
        const shamt = (bit(h, 12) << 5) | bits(h, 6, 2);
        return iType(shamt, rd, 1, rd, OP_IMM);
      }
      case 2: { // c.lwsp
        if (rd == 0) return 0;
        const imm = (bit(h, 12) << 5) | (bits(h, 6, 4) << 2) | (bits(h, 3, 2) << 6);
        return iType(imm, 2, 2, rd, LOAD);
      }
      case 3: { // c.ldsp
        if (rd == 0) return 0;
        const imm = (bit(h, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(imm, 2, 3, rd, LOAD);
      }
      case 4: {
        if (bit(h, 12) == 0) {
          if (rs2 == 0) {
            if (rd == 0) return 0;
            return iType(0, rd, 0, 0, 0x67); // c.jr
          }
          return rType(0, rs2, 0, 0, rd, OP); // c.mv
        }
        if (rs2 == 0) {
          if (rd == 0) return 0x00100073; // c.ebreak
          return iType(0, rd, 0, 1, 0x67); // c.jalr
        }
        return rType(0, rs2, rd, 0, rd, OP); // c.add
      }
      case 6: { // c.swsp
        const imm = (bits(h, 12, 9) << 2) | (bits(h, 8, 7) << 6);
        return sType(imm, rs2, 2, 2, STORE);
      }
      case 7: { // c.sdsp
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(imm, rs2, 2, 3, STORE);
      }
      case 1: { // c.fldsp (f0 is a valid destination)
        const imm = (bit(h, 12) << 5) | (bits(h, 6, 5) << 3) | (bits(h, 4, 2) << 6);
        return iType(imm, 2, 3, rd, LOAD_FP);
      }
      case 5: { // c.fsdsp
        const imm = (bits(h, 12, 10) << 3) | (bits(h, 9, 7) << 6);
        return sType(imm, rs2, 2, 3, STORE_FP);
      }
      default: return 0;
    }
  }
  return 0; // quadrant 3 is not compressed
}

export function buildCompressedTable(): void {
  for (let h: u32 = 0; h < 0x10000; h++) {
    store<u32>(COMPRESSED_TABLE + (h << 2), (h & 3) == 3 ? 0 : expandCompressed(h));
  }
}
