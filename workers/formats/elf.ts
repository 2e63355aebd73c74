/**
 * ELF reader for the programs Hindsight runs: 64-bit little-endian RISC-V
 * executables (ET_EXEC, e_machine 243).
 *
 * This is a pure codec. It does no I/O and uses no Node APIs, so it runs in
 * the browser and in Node alike. Every problem with the input is reported as
 * an {@link ElfError} whose message says what is wrong and where. No other
 * exception type escapes `parseElf`, whatever bytes it is given.
 *
 * Addresses, offsets and sizes are plain JavaScript numbers. Any 64-bit field
 * we use must be below 2^53 (so it is an exact integer), and files where it
 * is not are rejected.
 */

/** Thrown for any malformed, unsupported or unloadable ELF file. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

/** A PT_LOAD program header and the bytes it loads from the file. */
export interface ElfSegment {
  /** Physical (load) address: where the bytes go in the machine's memory. */
  paddr: number;
  /** Virtual address the program was linked to run at. */
  vaddr: number;
  /** Bytes the segment occupies in memory; past `fileSize` it is zero-filled. */
  memSize: number;
  /** Bytes taken from the file. Never more than `memSize`. */
  fileSize: number;
  fileOffset: number;
  /** p_flags: PF_X = 1, PF_W = 2, PF_R = 4. */
  flags: number;
  /** Subarray of the input (no copy), `fileSize` bytes long. */
  data: Uint8Array;
}

export interface ElfSymbol {
  name: string;
  address: number;
  size: number;
  /** From STT_FUNC / STT_OBJECT; everything else is 'other'. */
  kind: 'function' | 'object' | 'other';
  /** True for any binding other than STB_LOCAL (global, weak, unique). */
  global: boolean;
  /** An absolute value (st_shndx SHN_ABS), such as a linker-defined size: not a place in memory. */
  absolute?: boolean;
}

export interface ElfSection {
  name: string;
  /** sh_type, e.g. 1 = SHT_PROGBITS, 8 = SHT_NOBITS. */
  type: number;
  address: number;
  offset: number;
  size: number;
  /** sh_flags, e.g. SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4. */
  flags: number;
}

export interface ElfImage {
  /** e_entry, exactly as in the header. See {@link physicalEntry}. */
  entry: number;
  /** The PT_LOAD program headers, in file order. Other types are not listed. */
  segments: ElfSegment[];
  /** Named code and data symbols from .symtab (see parseElf for what is left out). */
  symbols: ElfSymbol[];
  /** All section headers, including the null section 0. */
  sections: ElfSection[];
  /**
   * File bytes of the first section with this name (a subarray, no copy).
   * Undefined if there is no such section or it has no file contents
   * (SHT_NOBITS such as .bss, or SHT_NULL).
   */
  sectionData(name: string): Uint8Array | undefined;
}

/** A range of the physical address space, e.g. RAM or a device's registers. */
export interface LoadRegion {
  name: string;
  base: number;
  size: number;
}

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;
const ET_EXEC = 2;
const EM_RISCV = 243;

const PT_NULL = 0;
const PT_LOAD = 1;
const PN_XNUM = 0xffff;

const SHN_UNDEF = 0;
const SHN_XINDEX = 0xffff;
const SHN_ABS = 0xfff1;

const STB_LOCAL = 0;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_SECTION = 3;
const STT_FILE = 4;
const STT_TLS = 6;

const TWO_32 = 0x1_0000_0000;
const TWO_53 = 2 ** 53;

function hex(n: number): string {
  return '0x' + n.toString(16);
}

function range(start: number, size: number): string {
  return `${hex(start)}+${hex(size)}`;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'ET_NONE',
  1: 'ET_REL, a relocatable object file',
  2: 'ET_EXEC',
  3: 'ET_DYN, a shared object or position-independent executable',
  4: 'ET_CORE, a core dump',
};

const MACHINE_NAMES: Record<number, string> = {
  0: 'none',
  3: 'x86',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 'S/390',
  40: 'ARM',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

/** Bounds-checked little-endian field access over the input bytes. */
class Reader {
  private readonly view: DataView;
  readonly length: number;

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength;
  }

  private need(offset: number, size: number): void {
    // Callers check ranges with proper messages first; this is the last line of defence.
    if (!(offset >= 0 && offset + size <= this.length)) {
      throw new ElfError(`internal error: read of ${size} bytes at ${hex(offset)} is outside the file`);
    }
  }

  u8(offset: number): number {
    this.need(offset, 1);
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    this.need(offset, 2);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    this.need(offset, 4);
    return this.view.getUint32(offset, true);
  }

  /** A 64-bit field, which must be below 2^53. `what` names it for the error message. */
  u64(offset: number, what: () => string): number {
    this.need(offset, 8);
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getUint32(offset + 4, true);
    if (hi >= TWO_53 / TWO_32) {
      const full = '0x' + hi.toString(16) + lo.toString(16).padStart(8, '0');
      throw new ElfError(`${what()} is ${full}, which is not below 2^53`);
    }
    return hi * TWO_32 + lo;
  }
}

const utf8 = new TextDecoder('utf-8');

/**
 * A string table section. Finding each string's terminator uses a sorted list
 * of the table's NUL positions, so lookups cost O(log n) however the offsets
 * are arranged, and the total length of distinct strings decoded is capped,
 * so a crafted file cannot make us build gigabytes of overlapping names.
 */
class StringTable {
  private nuls: Uint32Array | undefined;
  private readonly cache = new Map<number, string>();
  private budget: number;

  constructor(
    private readonly data: Uint8Array,
    private readonly label: string,
  ) {
    this.budget = data.length * 8 + 0x10000;
  }

  private nulPositions(): Uint32Array {
    if (this.nuls === undefined) {
      const data = this.data;
      let count = 0;
      for (let i = 0; i < data.length; i++) if (data[i] === 0) count++;
      const nuls = new Uint32Array(count);
      let k = 0;
      for (let i = 0; i < data.length; i++) if (data[i] === 0) nuls[k++] = i;
      this.nuls = nuls;
    }
    return this.nuls;
  }

  /** Index of the NUL ending the string at `offset`; throws if there is none. */
  end(offset: number, who: () => string): number {
    if (offset >= this.data.length) {
      throw new ElfError(
        `${who()}: name offset ${hex(offset)} is out of range of ${this.label} (${hex(this.data.length)} bytes)`,
      );
    }
    const nuls = this.nulPositions();
    let lo = 0;
    let hi = nuls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nuls[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo === nuls.length) {
      throw new ElfError(
        `${who()}: name at offset ${hex(offset)} is not NUL-terminated within ${this.label} (${hex(this.data.length)} bytes)`,
      );
    }
    return nuls[lo];
  }

  get(offset: number, who: () => string): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    const end = this.end(offset, who);
    const length = end - offset;
    this.budget -= length;
    if (this.budget < 0) {
      throw new ElfError(`${who()}: the names read from ${this.label} add up to far more than its size (overlapping names?)`);
    }
    // slice() copies, so decoding works even if the input is backed by a SharedArrayBuffer.
    const name = length === 0 ? '' : utf8.decode(this.data.slice(offset, end));
    this.cache.set(offset, name);
    return name;
  }
}

interface RawSection {
  nameOffset: number;
  type: number;
  flags: number;
  address: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/**
 * Parses and validates an ELF64 little-endian RISC-V executable.
 *
 * Symbols come from .symtab (the SHT_SYMTAB section and the string table its
 * sh_link names). Left out: symbols with empty names, section and file
 * symbols, undefined symbols (st_shndx 0), thread-local symbols (their value
 * is an offset into the TLS block, not an address) and the RISC-V mapping
 * symbols `$x...` / `$d` that mark code and data regions.
 */
export function parseElf(bytes: Uint8Array): ElfImage {
  try {
    return parse(bytes);
  } catch (e) {
    if (e instanceof ElfError) throw e;
    // Not expected to happen: every read is range-checked. Still, keep the
    // promise that only ElfError escapes, and say clearly that it is our bug.
    throw new ElfError(`internal error while reading the ELF file: ${String(e)}`);
  }
}

function parse(bytes: Uint8Array): ElfImage {
  if (!isUint8Array(bytes)) throw new ElfError('input is not a Uint8Array');
  const r = new Reader(bytes);
  const len = r.length;

  // --- e_ident ---
  const magic = [0x7f, 0x45, 0x4c, 0x46];
  for (let i = 0; i < Math.min(4, len); i++) {
    if (bytes[i] !== magic[i]) {
      const seen = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ElfError(`not an ELF file: bad magic (bytes ${seen}, expected 7f 45 4c 46)`);
    }
  }
  if (len >= 16) {
    const cls = bytes[4];
    if (cls === ELFCLASS32) throw new ElfError('ELF32 (32-bit) files are not supported: only ELF64 RISC-V executables (EI_CLASS 1, expected 2)');
    if (cls !== ELFCLASS64) throw new ElfError(`invalid ELF class EI_CLASS=${cls} (expected 2, ELF64)`);
    const data = bytes[5];
    if (data === ELFDATA2MSB) throw new ElfError('big-endian ELF files are not supported (EI_DATA 2, expected 1, little-endian)');
    if (data !== ELFDATA2LSB) throw new ElfError(`invalid ELF data encoding EI_DATA=${data} (expected 1, little-endian)`);
    if (bytes[6] !== EV_CURRENT) throw new ElfError(`bad ELF version: EI_VERSION is ${bytes[6]} (expected 1)`);
  }
  if (len < EHDR_SIZE) {
    throw new ElfError(`file is too short: ${len} bytes, shorter than the ${EHDR_SIZE}-byte ELF64 header`);
  }

  // --- ELF header ---
  const eType = r.u16(16);
  const eMachine = r.u16(18);
  const eVersion = r.u32(20);
  if (eVersion !== EV_CURRENT) throw new ElfError(`bad ELF version: e_version is ${eVersion} (expected 1)`);
  if (eMachine !== EM_RISCV) {
    const name = MACHINE_NAMES[eMachine];
    throw new ElfError(
      `wrong machine: e_machine is ${eMachine}${name ? ` (${name})` : ''}, expected ${EM_RISCV} (RISC-V)`,
    );
  }
  if (eType !== ET_EXEC) {
    const name = TYPE_NAMES[eType];
    throw new ElfError(`not an executable: e_type is ${eType}${name ? ` (${name})` : ''}, expected 2 (ET_EXEC)`);
  }
  const entry = r.u64(24, () => 'ELF header: e_entry');
  const phoff = r.u64(32, () => 'ELF header: e_phoff');
  const shoff = r.u64(40, () => 'ELF header: e_shoff');
  const phentsize = r.u16(54);
  let phnum = r.u16(56);
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);

  // --- section header table location, with extended numbering via section 0 ---
  if (shoff === 0) {
    if (shnum !== 0) throw new ElfError(`ELF header: e_shnum is ${shnum} but e_shoff is 0 (no section header table)`);
    if (phnum === PN_XNUM) throw new ElfError('ELF header: e_phnum is 0xffff (PN_XNUM) but there is no section header table to hold the real count');
    if (shstrndx !== SHN_UNDEF) throw new ElfError(`string table index out of range: e_shstrndx is ${shstrndx} but there are no section headers`);
  } else {
    if (shentsize !== SHDR_SIZE) {
      throw new ElfError(`ELF header: e_shentsize is ${shentsize}, expected ${SHDR_SIZE} for ELF64 section headers`);
    }
    if (shoff + SHDR_SIZE > len) {
      throw new ElfError(
        `section header table at ${hex(shoff)} lies beyond the end of the file (${hex(len)} bytes)`,
      );
    }
    // Section 0 holds the real values when they do not fit the header fields.
    if (shnum === 0) {
      shnum = r.u64(shoff + 32, () => 'section 0: sh_size (extended section count)');
      if (shnum === 0) throw new ElfError('ELF header: e_shoff is set but the section count (e_shnum, or sh_size of section 0) is 0');
    }
    if (phnum === PN_XNUM) phnum = r.u32(shoff + 44);
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
  }

  // --- table sizes ---
  if (phnum > 0 && phentsize !== PHDR_SIZE) {
    throw new ElfError(`ELF header: e_phentsize is ${phentsize}, expected ${PHDR_SIZE} for ELF64 program headers`);
  }
  if (phnum * PHDR_SIZE > len) {
    throw new ElfError(
      `ELF header: e_phnum ${phnum} is absurd: ${phnum} program headers need ${hex(phnum * PHDR_SIZE)} bytes but the file is only ${hex(len)} bytes`,
    );
  }
  if (phoff + phnum * PHDR_SIZE > len) {
    throw new ElfError(
      `program header table (${phnum} entries at ${range(phoff, phnum * PHDR_SIZE)}) lies beyond the end of the file (${hex(len)} bytes)`,
    );
  }
  if (shnum * SHDR_SIZE > len) {
    throw new ElfError(
      `ELF header: e_shnum ${shnum} is absurd: ${shnum} section headers need ${hex(shnum * SHDR_SIZE)} bytes but the file is only ${hex(len)} bytes`,
    );
  }
  if (shoff + shnum * SHDR_SIZE > len) {
    throw new ElfError(
      `section header table (${shnum} entries at ${range(shoff, shnum * SHDR_SIZE)}) lies beyond the end of the file (${hex(len)} bytes)`,
    );
  }

  // --- program headers ---
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    const where = `program header ${i}`;
    const type = r.u32(at);
    if (type === PT_NULL) continue;
    const flags = r.u32(at + 4);
    const fileOffset = r.u64(at + 8, () => `${where}: p_offset`);
    const fileSize = r.u64(at + 32, () => `${where}: p_filesz`);
    if (fileSize > 0 && (fileOffset > len || fileSize > len - fileOffset)) {
      throw new ElfError(
        `${where}: segment file range ${range(fileOffset, fileSize)} lies beyond the end of the file (${hex(len)} bytes)`,
      );
    }
    if (type !== PT_LOAD) continue;
    const vaddr = r.u64(at + 16, () => `${where}: p_vaddr`);
    const paddr = r.u64(at + 24, () => `${where}: p_paddr`);
    const memSize = r.u64(at + 40, () => `${where}: p_memsz`);
    if (fileSize > memSize) {
      throw new ElfError(`${where}: p_filesz ${hex(fileSize)} is larger than p_memsz ${hex(memSize)}`);
    }
    if (paddr + memSize > TWO_53 || vaddr + memSize > TWO_53) {
      throw new ElfError(`${where}: segment ${range(paddr, memSize)} ends beyond 2^53`);
    }
    segments.push({
      paddr,
      vaddr,
      memSize,
      fileSize,
      fileOffset,
      flags,
      data: bytes.subarray(fileOffset, fileOffset + fileSize),
    });
  }
  if (segments.length === 0) throw new ElfError('no PT_LOAD segments: the file has nothing to load');

  // --- section headers ---
  const raw: RawSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const where = `section ${i}`;
    const s: RawSection = {
      nameOffset: r.u32(at),
      type: r.u32(at + 4),
      flags: r.u64(at + 8, () => `${where}: sh_flags`),
      address: r.u64(at + 16, () => `${where}: sh_addr`),
      offset: 0,
      size: 0,
      link: r.u32(at + 40),
      info: r.u32(at + 44),
      entsize: 0,
    };
    if (i === 0 || s.type !== SHT_NULL) {
      // Section 0's sh_size may hold the extended section count; it is not a file range.
      s.offset = r.u64(at + 24, () => `${where}: sh_offset`);
      s.size = r.u64(at + 32, () => `${where}: sh_size`);
      s.entsize = r.u64(at + 56, () => `${where}: sh_entsize`);
    }
    if (s.type !== SHT_NULL && s.type !== SHT_NOBITS && s.size > 0 && (s.offset > len || s.size > len - s.offset)) {
      throw new ElfError(
        `${where}: section file range ${range(s.offset, s.size)} lies beyond the end of the file (${hex(len)} bytes)`,
      );
    }
    raw.push(s);
  }

  const stringTable = (index: number, what: string, label: string): StringTable => {
    if (index >= shnum) {
      throw new ElfError(`string table index out of range: ${what} is ${index} but there are only ${shnum} sections`);
    }
    const s = raw[index];
    if (s.type !== SHT_STRTAB) {
      throw new ElfError(`${what} is ${index}, which is not a string table (sh_type ${s.type}, expected ${SHT_STRTAB})`);
    }
    return new StringTable(bytes.subarray(s.offset, s.offset + s.size), label);
  };

  const sections: ElfSection[] = [];
  const shstrtab = shstrndx === SHN_UNDEF ? undefined : stringTable(shstrndx, 'e_shstrndx', 'the section name table');
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i];
    const name = shstrtab && (i > 0 || s.nameOffset !== 0) ? shstrtab.get(s.nameOffset, () => `section ${i}`) : '';
    sections.push({ name, type: s.type, address: s.address, offset: s.offset, size: s.size, flags: s.flags });
  }

  // --- symbols ---
  const symbols: ElfSymbol[] = [];
  const symtabIndex = raw.findIndex((s) => s.type === SHT_SYMTAB);
  if (symtabIndex >= 0) {
    const symtab = raw[symtabIndex];
    const where = `symbol table (section ${symtabIndex})`;
    if (symtab.entsize !== SYM_SIZE) {
      throw new ElfError(`${where}: sh_entsize is ${symtab.entsize}, expected ${SYM_SIZE}`);
    }
    if (symtab.size % SYM_SIZE !== 0) {
      throw new ElfError(`${where}: sh_size ${hex(symtab.size)} is not a multiple of the ${SYM_SIZE}-byte entry size`);
    }
    const strtab = stringTable(symtab.link, `${where}: sh_link`, 'the symbol string table');
    const count = symtab.size / SYM_SIZE;
    for (let i = 0; i < count; i++) {
      const at = symtab.offset + i * SYM_SIZE;
      const who = () => `symbol ${i}`;
      const nameOffset = r.u32(at);
      const info = r.u8(at + 4);
      const shndx = r.u16(at + 6);
      // Every name must be well-formed, even for the symbols we skip.
      const nameEnd = strtab.end(nameOffset, who);
      const type = info & 0xf;
      const bind = info >> 4;
      if (nameEnd === nameOffset) continue;
      if (type === STT_SECTION || type === STT_FILE || type === STT_TLS) continue;
      if (shndx === SHN_UNDEF) continue;
      const name = strtab.get(nameOffset, who);
      if (isMappingSymbol(name, type, bind)) continue;
      const address = r.u64(at + 8, () => `symbol ${i} (${name}): st_value`);
      const size = r.u64(at + 16, () => `symbol ${i} (${name}): st_size`);
      symbols.push({
        name,
        address,
        size,
        kind: type === STT_FUNC ? 'function' : type === STT_OBJECT ? 'object' : 'other',
        global: bind !== STB_LOCAL,
        ...(shndx === SHN_ABS ? { absolute: true } : {}),
      });
    }
  }

  const byName = new Map<string, RawSection>();
  for (let i = 0; i < raw.length; i++) {
    const name = sections[i].name;
    if (!byName.has(name)) byName.set(name, raw[i]);
  }
  const sectionData = (name: string): Uint8Array | undefined => {
    const s = byName.get(name);
    if (s === undefined || s.type === SHT_NULL || s.type === SHT_NOBITS) return undefined;
    return bytes.subarray(s.offset, s.offset + s.size);
  };

  return { entry, segments, symbols, sections, sectionData };
}

/** RISC-V mapping symbols ("$x", "$xrv64i2p1_...", "$d") mark code/data regions; they are not names. */
function isMappingSymbol(name: string, type: number, bind: number): boolean {
  return type === STT_NOTYPE && bind === STB_LOCAL && (name === '$d' || name.startsWith('$x') || name.startsWith('$d.'));
}

/**
 * The physical address execution starts at, computed the way QEMU's ELF
 * loader does: e_entry is a virtual address, so when it falls inside the file
 * part of an executable PT_LOAD segment whose vaddr and paddr differ, it is
 * moved by the same amount as that segment. Otherwise it is e_entry itself.
 */
export function physicalEntry(image: ElfImage): number {
  let pc = image.entry;
  for (const s of image.segments) {
    if (
      s.vaddr !== s.paddr &&
      (s.flags & PF_X) !== 0 &&
      image.entry >= s.vaddr &&
      image.entry - s.vaddr < s.fileSize
    ) {
      pc = image.entry - s.vaddr + s.paddr;
    }
  }
  return pc;
}

/**
 * Checks that the image can be loaded into a machine with the given RAM and
 * device regions: every PT_LOAD segment with a non-zero memSize, placed at
 * its paddr, must lie entirely inside `ram` and overlap no device, and the
 * entry point (see {@link physicalEntry}) must be inside a loaded PT_LOAD
 * segment. Segment permissions are not checked: QEMU's loader ignores them on
 * this board (the riscv-tests link script, for one, emits a segment with
 * p_flags 0), and so does this one. Throws ElfError describing the first
 * problem found.
 */
export function checkLoadable(image: ElfImage, ram: LoadRegion, devices: LoadRegion[]): void {
  image.segments.forEach((s, i) => {
    if (s.memSize === 0) return;
    const what = `PT_LOAD segment ${i} (${range(s.paddr, s.memSize)})`;
    for (const d of devices) {
      if (d.size > 0 && s.paddr < d.base + d.size && d.base < s.paddr + s.memSize) {
        throw new ElfError(`${what} overlaps device ${d.name} (${range(d.base, d.size)})`);
      }
    }
    if (!(s.paddr >= ram.base && s.memSize <= ram.base + ram.size - s.paddr)) {
      throw new ElfError(`${what} is not entirely inside ${ram.name} (${range(ram.base, ram.size)})`);
    }
  });
  const pc = physicalEntry(image);
  const inside = image.segments.some(
    (s) => pc >= s.paddr && pc - s.paddr < s.memSize,
  );
  if (!inside) {
    const moved = pc !== image.entry ? ` (physical ${hex(pc)})` : '';
    // An entry in the virtual range of a segment that is not executable is not moved to its physical address (as in QEMU).
    const i = image.segments.findIndex(
      (s) => s.vaddr !== s.paddr && (s.flags & PF_X) === 0 && image.entry >= s.vaddr && image.entry - s.vaddr < s.fileSize,
    );
    const hint = pc === image.entry && i >= 0
      ? `; it is inside the virtual range of PT_LOAD segment ${i} (${range(image.segments[i].vaddr, image.segments[i].fileSize)}` +
        `, loaded at ${hex(image.segments[i].paddr)}), but that segment is not executable, and only an executable segment's ` +
        'virtual entry point is moved to its physical address'
      : '';
    throw new ElfError(`entry point ${hex(image.entry)}${moved} is not inside any loaded segment${hint}`);
  }
}

function kindRank(s: ElfSymbol): number {
  return s.kind === 'function' ? 2 : s.kind === 'object' ? 1 : 0;
}

/** Negative if `a` is the better name for an address both symbols start at. */
function preference(a: ElfSymbol, b: ElfSymbol): number {
  return kindRank(b) - kindRank(a) || Number(b.global) - Number(a.global);
}

/** Name lookup and address-to-symbol mapping over a list of symbols. */
export class SymbolTable {
  private readonly byName = new Map<string, ElfSymbol>();
  /** All symbols, by address; at equal addresses the preferred one first. */
  private readonly sorted: ElfSymbol[];
  /** Functions and objects with a non-zero size, by address. */
  private readonly sized: ElfSymbol[];
  /** maxEnd[i] = the largest address + size among sized[0..i]. */
  private readonly maxEnd: number[];

  constructor(symbols: ElfSymbol[]) {
    for (const s of symbols) {
      const known = this.byName.get(s.name);
      if (known === undefined || (!known.global && s.global)) this.byName.set(s.name, s);
    }
    // Absolute symbols (sizes, linker constants) can be looked up by name but never name a place.
    this.sorted = symbols.filter((s) => !s.absolute).sort((a, b) => a.address - b.address || preference(a, b));
    this.sized = this.sorted.filter((s) => s.kind !== 'other' && s.size > 0);
    this.maxEnd = [];
    let max = -Infinity;
    for (const s of this.sized) {
      max = Math.max(max, s.address + s.size);
      this.maxEnd.push(max);
    }
  }

  /** The symbol with this name; a global one is preferred over a local one of the same name. */
  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }

  /**
   * The function or object containing `addr` (the innermost, i.e. latest
   * starting, if several do), or else the nearest symbol at or before `addr`.
   */
  symbolize(addr: number): { symbol: ElfSymbol; offset: number } | undefined {
    if (!Number.isFinite(addr)) return undefined;
    let best: ElfSymbol | undefined;
    for (let j = lastAtOrBefore(this.sized, addr); j >= 0 && this.maxEnd[j] > addr; j--) {
      const s = this.sized[j];
      if (best !== undefined && s.address < best.address) break;
      if (addr - s.address < s.size && (best === undefined || preference(s, best) < 0)) best = s;
    }
    if (best === undefined) {
      const i = lastAtOrBefore(this.sorted, addr);
      if (i < 0) return undefined;
      // The preferred symbol at that address is the first of its run.
      let j = i;
      while (j > 0 && this.sorted[j - 1].address === this.sorted[i].address) j--;
      best = this.sorted[j];
    }
    return { symbol: best, offset: addr - best.address };
  }

  /** "main+0x1c", "main" at offset 0, or "0x80001234" when no symbol applies. */
  format(addr: number): string {
    const hit = this.symbolize(addr);
    if (hit === undefined) return hex(addr);
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+${hex(hit.offset)}`;
  }
}

/** Index of the last symbol whose address is <= addr in an address-sorted list, or -1. */
function lastAtOrBefore(list: ElfSymbol[], addr: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].address <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
