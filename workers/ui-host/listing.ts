// Disassembly listings for the debugger's disassembly view: the program's
// executable sections (made once per session), and a short window of memory
// around a pc that lies outside them (the reset ROM, code copied at run time).
import { disassemble, type Symbolizer } from '../engine/disassembler';
import type { ElfImage, SymbolTable } from '../formats/elf';
import type { Listing } from '../engine-api';

const SHF_EXECINSTR = 4;
const SHT_PROGBITS = 1;

export interface ProgramListing extends Listing {
  /** Address ranges the listing covers, [start, end). */
  ranges: [number, number][];
}

export function symbolizer(symbols: SymbolTable): Symbolizer {
  return (address) => {
    const hit = symbols.symbolize(address);
    if (!hit) return undefined;
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+0x${hit.offset.toString(16)}`;
  };
}

/** objdump's column: the instruction's bytes as one little-endian number, 4 or 8 hex digits. */
function encoding(bits: number, length: 2 | 4): string {
  return length === 2 ? (bits & 0xffff).toString(16).padStart(4, '0').padEnd(8, ' ') : (bits >>> 0).toString(16).padStart(8, '0');
}

/** One listing line: encoding, mnemonic, operands (the address goes in the editor's gutter). */
export function formatInstruction(bits: number, address: number, symbolize: Symbolizer): { text: string; length: 2 | 4 } {
  const d = disassemble(bits, address, symbolize);
  const text = d.operands === '' ? d.mnemonic : `${d.mnemonic.padEnd(8, ' ')}${d.operands}`;
  return { text: `${encoding(bits, d.length)}   ${text}`, length: d.length };
}

function readBits(bytes: Uint8Array, offset: number): number | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const low = bytes[offset] | (bytes[offset + 1] << 8);
  if ((low & 3) !== 3) return low;
  if (offset + 4 > bytes.length) return undefined;
  return (low | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

/** The disassembly of every executable section of the program, with a label line where a symbol starts. */
export function programListing(image: ElfImage, symbols: SymbolTable): ProgramListing {
  const symbolize = symbolizer(symbols);
  const lines: string[] = [];
  const addresses: number[] = [];
  const ranges: [number, number][] = [];
  const sections = image.sections
    .filter((s) => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0)
    .sort((a, b) => a.address - b.address);
  for (const section of sections) {
    const bytes = image.sectionData(section.name);
    if (!bytes) continue;
    ranges.push([section.address, section.address + bytes.length]);
    if (lines.length > 0) { lines.push(''); addresses.push(-1); }
    lines.push(`Disassembly of section ${section.name}:`);
    addresses.push(-1);
    let offset = 0;
    while (offset < bytes.length) {
      const address = section.address + offset;
      const hit = symbols.symbolize(address);
      if (hit && hit.offset === 0) {
        lines.push('', `<${hit.symbol.name}>:`);
        addresses.push(-1, -1);
      }
      const bits = readBits(bytes, offset);
      if (bits === undefined) {
        lines.push(`${Array.from(bytes.subarray(offset), (b) => b.toString(16).padStart(2, '0')).join('')}   .byte`);
        addresses.push(address);
        break;
      }
      const insn = formatInstruction(bits, address, symbolize);
      lines.push(insn.text);
      addresses.push(address);
      offset += insn.length;
    }
  }
  return { text: lines.join('\n'), addresses, ranges, title: "the program's code sections" };
}

export function inListing(listing: ProgramListing, address: number): boolean {
  return listing.ranges.some(([start, end]) => address >= start && address < end);
}

/**
 * The code around `pc`, read from memory: up to `before` instructions before
 * it (the decode is started where it lands exactly on pc) and `after` from it.
 */
export function memoryListing(
  read: (address: number, length: number) => Uint8Array | undefined,
  pc: number,
  symbols: SymbolTable,
  before = 8,
  after = 32,
): Listing {
  const symbolize = symbolizer(symbols);
  // The furthest start (at most 4 bytes per instruction back) from which a linear decode meets pc.
  let start = pc;
  for (let back = before * 4; back > 0; back -= 2) {
    const bytes = read(pc - back, back);
    if (!bytes) continue;
    let offset = 0;
    while (offset < back) {
      const bits = readBits(bytes, offset) ?? (bytes[offset] | ((bytes[offset + 1] ?? 0) << 8));
      offset += (bits & 3) === 3 ? 4 : 2;
    }
    if (offset === back) { start = pc - back; break; }
  }
  const lines: string[] = [];
  const addresses: number[] = [];
  let address = start;
  let count = 0;
  while (count < after) {
    const word = read(address, 4) ?? read(address, 2);
    if (!word) break;
    const bits = readBits(word, 0);
    if (bits === undefined) break;
    const hit = symbols.symbolize(address);
    if (hit && hit.offset === 0) { lines.push(`<${hit.symbol.name}>:`); addresses.push(-1); }
    const insn = formatInstruction(bits, address, symbolize);
    lines.push(insn.text);
    addresses.push(address);
    address += insn.length;
    if (address > pc) count++;
  }
  if (lines.length === 0) {
    return { text: 'This memory cannot be read.', addresses: [-1], title: 'memory around pc' };
  }
  return { text: lines.join('\n'), addresses, title: "memory around pc (outside the program's code sections)" };
}
