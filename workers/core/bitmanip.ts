// Zba, Zbb, Zbc and Zbs, which QEMU 7.2's default CPU has and GCC emits with
// -march=..._zba_zbb. They share the OP, OP-IMM, OP-32 and OP-IMM-32 opcodes
// with the base ISA; the interpreter asks here for any encoding of those that
// the base ISA and M do not define.

/** Set by bitmanip(): whether the instruction was a Zb* instruction. */
export let bitmanipMatched: bool = false;

@inline function sx32(v: u64): u64 { return <u64><i64><i32>v; }

function clmul(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i++) if (((b >> i) & 1) != 0) r ^= a << i;
  return r;
}
function clmulh(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 1; i < 64; i++) if (((b >> i) & 1) != 0) r ^= a >> (64 - i);
  return r;
}
function clmulr(a: u64, b: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i++) if (((b >> i) & 1) != 0) r ^= a >> (63 - i);
  return r;
}
function orcb(a: u64): u64 {
  let r: u64 = 0;
  for (let i: u64 = 0; i < 64; i += 8) if (((a >> i) & 0xff) != 0) r |= <u64>0xff << i;
  return r;
}

/**
 * The result of the Zb* instruction `insn` on operands a (rs1) and b (rs2),
 * with bitmanipMatched telling whether `insn` is one.
 */
export function bitmanip(insn: u32, a: u64, b: u64): u64 {
  bitmanipMatched = true;
  const f3 = (insn >> 12) & 7;
  const f7 = insn >> 25;
  const f12 = insn >> 20;
  const f6 = insn >> 26;
  const shamt = <u64>((insn >> 20) & 63);
  switch (insn & 0x7f) {
    case 0x13: // OP-IMM
      if (f3 == 1) {
        if (f12 == 0x600) return <u64>clz<u64>(a);
        if (f12 == 0x601) return <u64>ctz<u64>(a);
        if (f12 == 0x602) return <u64>popcnt<u64>(a);
        if (f12 == 0x604) return <u64><i64><i8>a;
        if (f12 == 0x605) return <u64><i64><i16>a;
        if (f6 == 0x12) return a & ~(<u64>1 << shamt); // bclri
        if (f6 == 0x1a) return a ^ (<u64>1 << shamt); // binvi
        if (f6 == 0x0a) return a | (<u64>1 << shamt); // bseti
      } else if (f3 == 5) {
        if (f6 == 0x18) return rotr<u64>(a, shamt); // rori
        if (f6 == 0x12) return (a >> shamt) & 1; // bexti
        if (f12 == 0x287) return orcb(a);
        if (f12 == 0x6b8) return bswap<u64>(a); // rev8
      }
      break;
    case 0x33: { // OP
      const sh = b & 63;
      if (f7 == 0x20) {
        if (f3 == 7) return a & ~b; // andn
        if (f3 == 6) return a | ~b; // orn
        if (f3 == 4) return ~(a ^ b); // xnor
      } else if (f7 == 0x05) {
        switch (f3) {
          case 1: return clmul(a, b);
          case 2: return clmulr(a, b);
          case 3: return clmulh(a, b);
          case 4: return <i64>a < <i64>b ? a : b; // min
          case 5: return a < b ? a : b; // minu
          case 6: return <i64>a > <i64>b ? a : b; // max
          default: return a > b ? a : b; // maxu
        }
      } else if (f7 == 0x10) {
        if (f3 == 2) return (a << 1) + b;
        if (f3 == 4) return (a << 2) + b;
        if (f3 == 6) return (a << 3) + b;
      } else if (f7 == 0x30) {
        if (f3 == 1) return rotl<u64>(a, sh);
        if (f3 == 5) return rotr<u64>(a, sh);
      } else if (f7 == 0x24) {
        if (f3 == 1) return a & ~(<u64>1 << sh); // bclr
        if (f3 == 5) return (a >> sh) & 1; // bext
      } else if (f7 == 0x34) {
        if (f3 == 1) return a ^ (<u64>1 << sh); // binv
      } else if (f7 == 0x14) {
        if (f3 == 1) return a | (<u64>1 << sh); // bset
      }
      break;
    }
    case 0x1b: { // OP-IMM-32
      const w = <u32>a;
      if (f3 == 1) {
        if (f6 == 0x02) return (a & 0xffffffff) << shamt; // slli.uw
        if (f12 == 0x600) return <u64>clz<u32>(w);
        if (f12 == 0x601) return <u64>ctz<u32>(w);
        if (f12 == 0x602) return <u64>popcnt<u32>(w);
      } else if (f3 == 5 && f7 == 0x30) {
        return sx32(<u64>rotr<u32>(w, (insn >> 20) & 31)); // roriw
      }
      break;
    }
    case 0x3b: { // OP-32
      const w = <u32>a;
      const zext = a & 0xffffffff;
      if (f7 == 0x04) {
        if (f3 == 0) return zext + b; // add.uw
        if (f3 == 4 && ((insn >> 20) & 31) == 0) return a & 0xffff; // zext.h
      } else if (f7 == 0x10) {
        if (f3 == 2) return (zext << 1) + b;
        if (f3 == 4) return (zext << 2) + b;
        if (f3 == 6) return (zext << 3) + b;
      } else if (f7 == 0x30) {
        if (f3 == 1) return sx32(<u64>rotl<u32>(w, <u32>b & 31));
        if (f3 == 5) return sx32(<u64>rotr<u32>(w, <u32>b & 31));
      }
      break;
    }
  }
  bitmanipMatched = false;
  return 0;
}
