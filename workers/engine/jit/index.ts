// The translation tier's engine side: the core calls `translate(off)` (its
// import env.jitTranslate) when a block head is hot; this makes a WebAssembly
// module for the block, sharing the core's memory, puts its function in the
// core's function table and returns the table index and the block's length.
// See workers/core/jit.ts and docs/machine.md ("Translation").
import { buildModule, I32, I64, type FuncType, type FuncImport, type GlobalImport } from './wasm';
import { translateBlock, HELPER_MULDIV, HELPER_MULDIVW, HELPER_INVALIDATE, type JitLayout } from './translate';
import { HELPER_FP, HELPER_FMA, GLOBAL_FFLAGS, GLOBAL_FRM, GLOBAL_MSTATUS } from './translate-fp';

/** What the translator needs of the core's exports. */
export interface JitCoreExports {
  memory: WebAssembly.Memory;
  table: WebAssembly.Table;
  jitMarkCode(off: bigint, bytes: number): void;
  jitInvalidate(off: bigint, size: bigint): void;
  jitMulDiv(f3: number, a: bigint, b: bigint): bigint;
  jitMulDivW(f3: number, a: bigint, b: bigint): bigint;
  jitFp(insn: number, x: bigint): bigint;
  jitFma(a: bigint, b: bigint, c: bigint, ctl: number): bigint;
  /** The core's fflags, frm and mstatus globals (translated F/D code reads them and sets FS Dirty). */
  jitFflags: WebAssembly.Global;
  jitFrm: WebAssembly.Global;
  jitMstatus: WebAssembly.Global;
  flushJit(): void;
}

export interface JitStats {
  /** Blocks compiled to WebAssembly (not counting ones found again in the cache). */
  blocksTranslated: number;
  /** Blocks found again, unchanged, after the core forgot them (a state restore). */
  blocksReused: number;
  /** Milliseconds spent decoding, emitting and compiling. */
  translateMs: number;
}

const TYPES: FuncType[] = [
  { params: [I64, I64, I64, I64], results: [I64] }, // a block: (dataEnd, pc, budget, mode) -> next pc
  { params: [I32, I64, I64], results: [I64] }, // jitMulDiv, jitMulDivW
  { params: [I64, I64], results: [] }, // jitInvalidate
  { params: [I32, I64], results: [I64] }, // jitFp
  { params: [I64, I64, I64, I32], results: [I64] }, // jitFma
];
const IMPORTS: FuncImport[] = [];
IMPORTS[HELPER_MULDIV] = { module: 'env', name: 'md', type: 1 };
IMPORTS[HELPER_MULDIVW] = { module: 'env', name: 'mdw', type: 1 };
IMPORTS[HELPER_INVALIDATE] = { module: 'env', name: 'inval', type: 2 };
IMPORTS[HELPER_FP] = { module: 'env', name: 'fp', type: 3 };
IMPORTS[HELPER_FMA] = { module: 'env', name: 'fma', type: 4 };
const GLOBALS: GlobalImport[] = [];
GLOBALS[GLOBAL_FFLAGS] = { module: 'env', name: 'fflags', type: I32, mutable: true };
GLOBALS[GLOBAL_FRM] = { module: 'env', name: 'frm', type: I32, mutable: true };
GLOBALS[GLOBAL_MSTATUS] = { module: 'env', name: 'mstatus', type: I64, mutable: true };

/** The shortest block worth translating. */
const MIN_INSNS = 3;

/** Table slots in use before the whole cache is dropped and the slots reused. */
const MAX_SLOTS = 50_000;

interface Cached { code: Uint8Array; info: number }

export class Jit {
  readonly stats: JitStats = { blocksTranslated: 0, blocksReused: 0, translateMs: 0 };
  private readonly imports: WebAssembly.Imports;
  private readonly firstSlot: number;
  private nextSlot: number;
  /** Blocks made so far by RAM offset, with the guest bytes they were made from. */
  private cache = new Map<number, Cached>();

  constructor(private readonly core: JitCoreExports, private readonly layout: JitLayout, private readonly ramBytes: number) {
    this.imports = {
      env: {
        memory: core.memory, md: core.jitMulDiv, mdw: core.jitMulDivW, inval: core.jitInvalidate, fp: core.jitFp, fma: core.jitFma,
        fflags: core.jitFflags, frm: core.jitFrm, mstatus: core.jitMstatus,
      },
    };
    this.firstSlot = core.table.length;
    this.nextSlot = this.firstSlot;
  }

  /** The core's env.jitTranslate: function index << 8 | instructions for the block at RAM offset `off`, or 0. */
  translate(offset: bigint): number {
    const t0 = performance.now();
    const off = Number(offset);
    const mem = new Uint8Array(this.core.memory.buffer);
    const cached = this.cache.get(off);
    if (cached && this.sameBytes(mem, off, cached.code)) {
      this.core.jitMarkCode(offset, cached.code.length);
      this.stats.blocksReused++;
      this.stats.translateMs += performance.now() - t0;
      return cached.info;
    }
    if (this.nextSlot - this.firstSlot >= MAX_SLOTS) {
      // Recycle the table: the core forgets every block (it sees its generation change), so no slot is in use.
      this.cache.clear();
      this.nextSlot = this.firstSlot;
      this.core.flushJit();
      return 0;
    }
    const block = translateBlock(mem, this.layout, off, this.ramBytes);
    // A block of one or two instructions between uncovered ones (FP code) costs more to enter than to interpret.
    if (block === undefined || block.instructions < MIN_INSNS) { this.stats.translateMs += performance.now() - t0; return 0; }
    const bytes = buildModule(TYPES, IMPORTS, 0, [block.body], GLOBALS);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), this.imports);
    const slot = this.nextSlot++;
    const table = this.core.table;
    if (table.length <= slot) table.grow(slot + 1 - table.length + 255);
    table.set(slot, instance.exports.f0 as WebAssembly.ExportValue as never);
    const info = slot * 256 + block.instructions;
    const start = this.layout.ram + off;
    this.cache.set(off, { code: mem.slice(start, start + block.bytes), info });
    this.core.jitMarkCode(offset, block.bytes);
    this.stats.blocksTranslated++;
    this.stats.translateMs += performance.now() - t0;
    return info;
  }

  private sameBytes(mem: Uint8Array, off: number, code: Uint8Array): boolean {
    const start = this.layout.ram + off;
    for (let i = 0; i < code.length; i++) if (mem[start + i] !== code[i]) return false;
    return true;
  }
}
