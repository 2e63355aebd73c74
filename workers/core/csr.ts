// Control and status registers: access rules and side effects.
import {
  priv, mstatus, medeleg, mideleg, mie, mip, mtvec, mcounteren, mcountinhibit, mscratch, mepc, mcause, mtval,
  menvcfg, stvec, scounteren, sscratch, sepc, scause, stval, satp, senvcfg, mcycleOffset, minstretOffset,
  pmpCfgAt, setPmpCfg, pmpAddrAt, setPmpAddr, PRIV_M, PRIV_S, PRIV_U, MSTATUS_SIE, MSTATUS_MIE, MSTATUS_SPIE, MSTATUS_MPIE, MSTATUS_SPP,
  MSTATUS_MPP, MSTATUS_FS, MSTATUS_MPRV, MSTATUS_SUM, MSTATUS_MXR, MSTATUS_TVM, MSTATUS_TW, MSTATUS_TSR,
  MSTATUS_UXL_SXL, MSTATUS_SD, MSTATUS_XS, MSTATUS_VS, S_INTERRUPTS, ALL_INTERRUPTS, IRQ_SSI, IRQ_STI, IRQ_SEI,
  sliceEnd, icount, idleSkip, fflags, frm, boardRevision, hartCount, currentHart,
} from './state';
import { retiredByCurrentHart } from './harts';
import { updateFastPath } from './trap';
import { satpModeSupported, tlbFlush } from './mmu';
import { mtimeNow } from './clint';
import { setSoftwareSeip } from './plic';
import { sstcAccessible, stimecmpRead, stimecmpWrite, MENVCFG_STCE } from './sstc';
import { triggersPresent, tselectRead, tselectWrite, tdataRead, tdataWrite, TINFO } from './trigger';

/** misa: RV64 with A, C, D, F, I, M, S, U. */
export const MISA: u64 = (<u64>2 << 62) | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

const MSTATUS_WRITABLE: u64 = MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |
  MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
const SSTATUS_VISIBLE: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_XS | MSTATUS_VS |
  MSTATUS_SUM | MSTATUS_MXR | (<u64>3 << 32) | MSTATUS_SD;
const SSTATUS_WRITABLE: u64 = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
/** Exceptions that may be delegated to S-mode. QEMU 7.2 keeps bit 11 (ecall from M) writable, though it never applies. */
const DELEGABLE_EXCEPTIONS: u64 = 0xbbff;

/** Set by csrRead/csrWrite when the access is illegal. */
export let csrIllegal: bool = false;

@inline function counterValue(offset: u64): u64 { return icount + idleSkip + 1 + offset; }
/**
 * minstret's base. One hart: virtual time, as QEMU's icount mode counts it.
 * Several: the instructions this hart retired (the icount is the sum over harts).
 */
@inline function instretBase(): u64 { return hartCount > 1 ? retiredByCurrentHart() : icount + idleSkip; }
@inline function instretValue(): u64 { return instretBase() + 1 + minstretOffset; }

function withSd(s: u64): u64 {
  const dirty = (s & MSTATUS_FS) == MSTATUS_FS || (s & MSTATUS_XS) == MSTATUS_XS || (s & MSTATUS_VS) == MSTATUS_VS;
  return dirty ? s | MSTATUS_SD : s & ~MSTATUS_SD;
}

/** Whether a counter CSR (0xC00 + index) is readable at the current privilege. */
function counterAccessible(index: u32): bool {
  if (priv == PRIV_M) return true;
  if (((mcounteren >> index) & 1) == 0) return false;
  if (priv == PRIV_U && ((scounteren >> index) & 1) == 0) return false;
  return true;
}

/** Checks privilege and read-only rules common to all CSRs. */
export function csrAccessAllowed(csr: u32, write: bool): bool {
  const level = (csr >> 8) & 3;
  if (priv < level) return false;
  if (write && (csr >> 10) == 3) return false;
  if (csr == 0x180 && priv == PRIV_S && (mstatus & MSTATUS_TVM) != 0) return false;
  return true;
}

export function csrRead(csr: u32): u64 {
  csrIllegal = false;
  switch (csr) {
    // floating point: only while mstatus.FS is not Off
    case 0x001: if ((mstatus & MSTATUS_FS) == 0) break; return <u64>fflags;
    case 0x002: if ((mstatus & MSTATUS_FS) == 0) break; return <u64>frm;
    case 0x003: if ((mstatus & MSTATUS_FS) == 0) break; return <u64>(fflags | (frm << 5));
    // user counters
    case 0xc00: if (!counterAccessible(0)) break; return counterValue(mcycleOffset);
    case 0xc01: if (!counterAccessible(1)) break; return mtimeNow();
    case 0xc02: if (!counterAccessible(2)) break; return instretValue();
    // supervisor
    case 0x100: return withSd(mstatus) & SSTATUS_VISIBLE;
    case 0x104: return mie & mideleg;
    case 0x105: return stvec;
    case 0x106: return scounteren;
    case 0x10a: return senvcfg;
    case 0x140: return sscratch;
    case 0x141: return sepc;
    case 0x142: return scause;
    case 0x143: return stval;
    case 0x144: return mip & mideleg;
    case 0x180: return satp;
    // machine information
    case 0xf14: return <u64>currentHart;
    case 0xf11: case 0xf12: case 0xf13: case 0xf15: return 0;
    // machine trap setup and handling
    case 0x300: return withSd(mstatus);
    case 0x301: return MISA;
    case 0x302: return medeleg;
    case 0x303: return mideleg;
    case 0x304: return mie;
    case 0x305: return mtvec;
    case 0x306: return mcounteren;
    case 0x30a: return menvcfg;
    case 0x14d: if (!sstcAccessible()) break; return stimecmpRead();
    case 0x320: return mcountinhibit;
    case 0x340: return mscratch;
    case 0x341: return mepc;
    case 0x342: return mcause;
    case 0x343: return mtval;
    case 0x344: return mip;
    case 0xb00: return counterValue(mcycleOffset);
    case 0xb02: return instretValue();
    // debug triggers (board revision 2): tselect, tdata1..3, tinfo
    case 0x7a0: if (!triggersPresent()) break; return tselectRead();
    case 0x7a1: case 0x7a2: case 0x7a3: if (!triggersPresent()) break; return tdataRead(csr - 0x7a0);
    case 0x7a4: if (!triggersPresent()) break; return TINFO;
    default: {
      // QEMU 7.2's virt cpu has 16 programmable counters: hpmcounter3..18.
      if (csr >= 0xc03 && csr <= 0xc12) { if (!counterAccessible(csr - 0xc00)) break; return 0; }
      if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return 0;
      if (csr == 0x3a0 || csr == 0x3a2) {
        const base = (csr - 0x3a0) * 4;
        let v: u64 = 0;
        for (let i: u32 = 0; i < 8; i++) v |= <u64>pmpCfgAt(<i32>(base + i)) << (i * 8);
        return v;
      }
      if (csr >= 0x3b0 && csr <= 0x3bf) return pmpAddrAt(<i32>(csr - 0x3b0));
      break;
    }
  }
  csrIllegal = true;
  return 0;
}

export function csrWrite(csr: u32, v: u64): void {
  csrIllegal = false;
  // Interrupt enables, privilege-dependent limits or timers may change: re-evaluate after this instruction.
  sliceEnd = 0;
  switch (csr) {
    // floating point: a write marks the FP state Dirty
    case 0x001: if ((mstatus & MSTATUS_FS) == 0) break; fflags = <u32>v & 0x1f; mstatus |= MSTATUS_FS; return;
    case 0x002: if ((mstatus & MSTATUS_FS) == 0) break; frm = <u32>v & 7; mstatus |= MSTATUS_FS; return;
    case 0x003: if ((mstatus & MSTATUS_FS) == 0) break; fflags = <u32>v & 0x1f; frm = (<u32>v >> 5) & 7; mstatus |= MSTATUS_FS; return;
    case 0x100: mstatus = (mstatus & ~SSTATUS_WRITABLE) | (v & SSTATUS_WRITABLE); updateFastPath(); return;
    case 0x104: mie = (mie & ~mideleg) | (v & mideleg & S_INTERRUPTS); return;
    case 0x105: if ((v & 3) < 2) stvec = v; return;
    case 0x106: scounteren = v; return; // QEMU 7.2 keeps all 64 bits
    case 0x10a: senvcfg = v & 1; return;
    case 0x140: sscratch = v; return;
    case 0x141: sepc = v & ~<u64>1; return;
    case 0x142: scause = v; return;
    case 0x143: stval = v; return;
    case 0x144: { const m = mideleg & IRQ_SSI; mip = (mip & ~m) | (v & m); return; }
    case 0x180: {
      // WARL: a write with a MODE this machine does not have changes nothing (as QEMU 7.2).
      if (satpModeSupported(v >> 60)) { satp = v; updateFastPath(); }
      return;
    }
    case 0x300: {
      let n = (mstatus & ~MSTATUS_WRITABLE) | (v & MSTATUS_WRITABLE);
      // MPP is WARL: the reserved value 2 is not kept.
      if (((n & MSTATUS_MPP) >> 11) == 2) n = (n & ~MSTATUS_MPP) | (mstatus & MSTATUS_MPP);
      mstatus = n | MSTATUS_UXL_SXL;
      updateFastPath();
      return;
    }
    case 0x301: return; // misa is read-only here
    case 0x302: medeleg = v & DELEGABLE_EXCEPTIONS; return;
    case 0x303: mideleg = v & S_INTERRUPTS; return;
    case 0x304: mie = v & ALL_INTERRUPTS; return;
    case 0x305: if ((v & 3) < 2) mtvec = v; return;
    case 0x306: mcounteren = v; return;
    // QEMU 7.2 keeps FIOM, CBIE, CBCFE, CBZE, PBMTE and STCE (board revision 1: FIOM only).
    case 0x30a: menvcfg = v & (boardRevision >= 2 ? 0xc0000000000000f1 : 1); return;
    case 0x14d: if (!sstcAccessible()) break; stimecmpWrite(v); return;
    case 0x320: mcountinhibit = v & 0xfffffffd; return;
    case 0x340: mscratch = v; return;
    case 0x341: mepc = v & ~<u64>1; return;
    case 0x342: mcause = v; return;
    case 0x343: mtval = v; return;
    case 0x344: {
      // With Sstc enabled (menvcfg.STCE) STIP follows stimecmp only.
      const m = (menvcfg & MENVCFG_STCE) != 0 ? IRQ_SSI : IRQ_SSI | IRQ_STI;
      mip = (mip & ~m) | (v & m);
      // SEIP reads as software's bit ORed with the PLIC's S-mode output (board revision 2).
      if (boardRevision >= 2) setSoftwareSeip((v & IRQ_SEI) != 0);
      else mip = (mip & ~IRQ_SEI) | (v & IRQ_SEI);
      return;
    }
    case 0xb00: mcycleOffset = v - (icount + idleSkip + 1); return;
    case 0xb02: minstretOffset = v - (instretBase() + 1); return;
    case 0x7a0: if (!triggersPresent()) break; tselectWrite(v); return;
    case 0x7a1: case 0x7a2: case 0x7a3: if (!triggersPresent()) break; tdataWrite(csr - 0x7a0, v); updateFastPath(); return;
    case 0x7a4: if (!triggersPresent()) break; return; // tinfo: writes ignored (QEMU 7.2)
    default: {
      if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return;
      if (csr == 0x3a0 || csr == 0x3a2) {
        const base = (csr - 0x3a0) * 4;
        for (let i: u32 = 0; i < 8; i++) {
          const idx = base + i;
          if ((pmpCfgAt(<i32>idx) & 0x80) != 0) continue; // locked
          // Stored as written, the reserved R=0,W=1 combination included (as QEMU 7.2 does).
          setPmpCfg(<i32>idx, <u32>(<u8>(v >> (i * 8))));
        }
        tlbFlush();
        updateFastPath();
        return;
      }
      if (csr >= 0x3b0 && csr <= 0x3bf) {
        const i = <i32>(csr - 0x3b0);
        if ((pmpCfgAt(i) & 0x80) != 0) return;
        if (i + 1 < 16 && (pmpCfgAt(i + 1) & 0x98) == 0x88) return; // locked TOR above
        setPmpAddr(i, v); // QEMU 7.2 keeps all 64 bits
        tlbFlush();
        updateFastPath();
        return;
      }
      break;
    }
  }
  csrIllegal = true;
}

