// The core's side of the translation tier (docs/machine.md, "Translation").
// Hot code is translated by the engine (workers/engine/jit) into WebAssembly
// functions that share this module's memory and sit in its function table;
// interpret() calls one with call_indirect when it reaches the block's first
// instruction and the slice's remaining budget covers the whole block.
//
// Blocks are keyed by the RAM offset of their first instruction (a physical
// key: the interpreter has already translated the pc through the fetch TLB);
// a block takes its virtual pc as an argument, so one translation serves every
// mapping of its page, and satp writes or sfence.vma need not drop it (its
// loads and stores use the current TLB). A direct-mapped table of
// JIT_ENTRIES entries {tag: u64 offset, info: u32 = function index << 8 | instructions,
// bytes: u16, hits: u16} counts executions of block heads until they are hot.
// A code map (one byte per 64 bytes of RAM) marks the bytes translated code was
// made from; every write to RAM checks it, and a hit drops the blocks made
// from those bytes (self-modifying code, a loader, virtio DMA).
import { RAM_BASE } from './layout';
import { ramSize, NEVER } from './state';

/** The engine's translator: translates the block at RAM offset `off`; returns function index << 8 | instructions, or 0. */
@external("env", "jitTranslate")
declare function jitTranslate(off: u64): u32;

export const JIT_ENTRIES: u32 = 65536;
const ENTRY_BYTES: u32 = 16;
/** How many times a block head runs interpreted before it is translated. */
const HOT_THRESHOLD: u32 = 24;
/** hits value of a head that cannot be translated (its first instruction is not covered): never asked again. */
const HITS_NEVER: u32 = 0xffff;

/** Whether translation is allowed (the engine's switch). */
export let jitEnabled: bool = false;
/** Linear-memory offset of the code map (one byte per 64 bytes of RAM) and of the block table. */
export let codeMap: usize = 0;
export let jitTable: usize = 0;
/** Where a translated block leaves the number of instructions it retired (u32) and whether it stopped early (u32 at +4); its result is the next pc. */
export let jitExit: usize = 0;
/** Instructions retired by translated code, blocks entered: for --stats. */
export let jitInstructions: u64 = 0;
export let jitBlocksRun: u64 = 0;
/** Incremented by every full flush: the engine's translator restarts its cache of modules. */
export let jitGeneration: u32 = 0;

/** Bytes of linear memory the tier needs after the executed-code map, for `ramBytes` of RAM. */
export function jitBytes(ramBytes: u64): u64 {
  return 64 + (ramBytes >> 6) + <u64>JIT_ENTRIES * ENTRY_BYTES;
}

/** Places the tier's tables at `base` (init()). */
export function jitPlace(base: usize): void {
  jitExit = base;
  codeMap = base + 64;
  jitTable = codeMap + <usize>(ramSize >> 6);
  jitFlush();
}

export function setJitEnabled(on: bool): void {
  jitEnabled = on;
  jitFlush();
}

/** Forgets every translation (state restores, reset, the host writing memory). */
export function jitFlush(): void {
  if (jitTable == 0) return;
  memory.fill(codeMap, 0, <usize>(ramSize >> 6));
  memory.fill(jitTable, 0xff, <usize>JIT_ENTRIES * ENTRY_BYTES);
  jitGeneration++;
}

/**
 * Whether translated code may run now. Breakpoints and watchpoints do not stop
 * it: blocks do not run in a breakpoint's page (cpu.ts), and their loads and
 * stores miss the TLB on a watched page (mmu.ts), so the interpreter's checks see
 * every instruction and access that could hit.
 */
@inline export function jitUsable(): bool {
  return jitEnabled;
}

@inline export function jitEntry(off: u64): usize {
  return jitTable + (<usize>(((off >> 1) ^ (off >> 17)) & (JIT_ENTRIES - 1)) << 4);
}

/**
 * The block at RAM offset `off` (a block head reached by the interpreter):
 * its info (function index << 8 | instructions) if it is translated, else 0,
 * after counting the execution and translating it once it is hot.
 */
export function jitLookup(off: u64): u32 {
  const e = jitEntry(off);
  if (load<u64>(e) == off) {
    const info = load<u32>(e, 8);
    if (info != 0xffffffff) return info;
    const hits = <u32>load<u16>(e, 14);
    if (hits == HITS_NEVER) return 0;
    if (hits + 1 < HOT_THRESHOLD) { store<u16>(e, <u16>(hits + 1), 14); return 0; }
    const generation = jitGeneration;
    const made = jitTranslate(off);
    // The translator may have flushed everything to recycle its table: the entry is then rewritten here.
    if (generation != jitGeneration) return 0;
    if (made == 0) { store<u16>(e, <u16>HITS_NEVER, 14); return 0; }
    store<u32>(e, made, 8);
    return made;
  }
  // A new head (or a collision: the older block is forgotten, its code-map bytes stay set, which is only conservative).
  store<u64>(e, off);
  store<u32>(e, 0xffffffff, 8);
  store<u16>(e, 0, 12);
  store<u16>(e, 1, 14);
  return 0;
}

/** Called by the translator once it has made the block at `off`, `bytes` long: marks its bytes in the code map. */
export function jitMarkCode(off: u64, bytes: u32): void {
  const e = jitEntry(off);
  if (load<u64>(e) == off) store<u16>(e, <u16>bytes, 12);
  const last = (off + <u64>bytes - 1) >> 6;
  for (let c = off >> 6; c <= last; c++) store<u8>(codeMap + <usize>c, 1);
}

/** Every write of at most 8 bytes to RAM at offset `off`: drops the translations made from those bytes, if any. */
@inline export function jitCheckWrite(off: u64, size: u64): void {
  // codeMap is followed by the block table, so the byte after a chunk at the end of RAM is readable (a spurious hit only invalidates).
  if (off < ramSize && (load<u8>(codeMap + <usize>(off >> 6)) | load<u8>(codeMap + <usize>((off + size - 1) >> 6))) != 0) {
    jitInvalidate(off, size);
  }
}

/** A longer write (device DMA): every chunk it touches is checked. */
export function jitCheckRange(off: u64, size: u64): void {
  if (size == 0 || off >= ramSize) return;
  let end = off + size;
  if (end > ramSize) end = ramSize;
  for (let c = off >> 6; c <= (end - 1) >> 6; c++) {
    if (load<u8>(codeMap + <usize>c) != 0) { jitInvalidate(off, end - off); return; }
  }
}

/** Drops every block made from bytes in the 64-byte chunks [off, off + size) touches (exported: translated stores call it). */
export function jitInvalidate(off: u64, size: u64): void {
  let end = off + size;
  if (end > ramSize) end = ramSize;
  const lo = off & ~<u64>63;
  const hi = (end + 63) & ~<u64>63;
  for (let c = lo >> 6; c < hi >> 6; c++) store<u8>(codeMap + <usize>c, 0);
  for (let i: u32 = 0; i < JIT_ENTRIES; i++) {
    const e = jitTable + (<usize>i << 4);
    const tag = load<u64>(e);
    if (tag == NEVER) continue;
    // A head still counting (bytes 0) has no code yet; any block overlapping the chunks goes.
    const bytes = <u64>load<u16>(e, 12);
    if (tag < hi && tag + bytes > lo) {
      store<u64>(e, NEVER);
      store<u32>(e, 0xffffffff, 8);
    }
  }
}

/** For the translator: the RAM offset where pc `p` lives in the untranslated case. */
export function jitRamBase(): u64 { return RAM_BASE; }
