// The DWARF reader against binutils, for every example program: the whole
// line table against `objdump --dwarf=decodedline`, lineAt and function
// names at every instruction against `addr2line -f`, and function ranges
// against the ELF symbol table.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { EXAMPLES_DIR, addr2line, exampleElfs, instructionAddresses, objdumpLines, type ObjdumpRow } from './support';

const ELFS = [...new Set([...exampleElfs(), 'uart.elf', 'traps.elf'])];

function load(elf: string): { image: ReturnType<typeof parseElf>; debug: DebugInfo } {
  const image = parseElf(new Uint8Array(readFileSync(join(EXAMPLES_DIR, elf))));
  return { image, debug: DebugInfo.fromElf(image) };
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/**
 * The objdump row covering an address (the last row at or before it in its
 * sequence), with the path of the unit's "CU:" header.
 */
function objdumpLookup(rows: ObjdumpRow[]): (address: number) => { name: string; cuPath: string } | undefined {
  const spans: { low: number; high: number; name: string; cuPath: string }[] = [];
  let cuPath = '';
  let prevPath = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.path !== prevPath && (i === 0 || rows[i - 1].line === undefined)) cuPath = r.path;
    prevPath = r.path;
    const next = rows[i + 1];
    if (r.line !== undefined && next && next.address > r.address) spans.push({ low: r.address, high: next.address, name: r.name, cuPath });
  }
  return (address) => spans.find((s) => address >= s.low && address < s.high);
}

/** GCC's names for clones of a function: "quicksort.constprop.0" is quicksort. */
const baseName = (name: string): string => name.replace(/\.(constprop|isra|part|cold|lto_priv)(\.\d+)*$/g, '');

describe('DWARF line tables and functions agree with binutils', () => {
  it('covers the C and the assembly examples', () => {
    expect(ELFS).toEqual(expect.arrayContaining(['hello.elf', 'corruption.elf', 'echo.elf', 'timer.elf', 'bench.elf', 'uart.elf', 'traps.elf']));
  });

  for (const elf of ELFS) {
    describe(elf, () => {
      const { image, debug } = load(elf);

      it('reads the debug sections without problems', () => {
        expect(debug.problems).toEqual([]);
      });

      it('has every row objdump --dwarf=decodedline shows, in order', () => {
        const expected = objdumpLines(elf);
        const rows = debug.lineTable();
        expect(expected.length).toBeGreaterThan(10);
        expect(rows.length).toBe(expected.length);
        rows.forEach((row, i) => {
          const e = expected[i];
          const got = {
            address: row.address,
            line: row.endSequence ? undefined : row.line,
            name: basename(row.file),
            path: row.file,
            isStmt: row.endSequence ? false : row.isStmt,
          };
          // objdump heads each program with the path of file 0 ("CU: path:") and then only prints a
          // path when the file changes, so at the start of a program whose rows use another file
          // (GCC numbers the primary file both 0 and 1, but not always), the header is not the row's path.
          const path = basename(e.path) === e.name ? e.path : row.file;
          expect(got, `row ${i}`).toEqual({ address: e.address, line: e.line, name: e.name, path, isStmt: e.isStmt });
          if (path !== e.path) expect(row.file.endsWith('/' + e.name) || row.file === e.name).toBe(true);
        });
      });

      it('lists the files of the line table', () => {
        const files = debug.files();
        expect(new Set(files)).toEqual(new Set(debug.lineTable().map((r) => r.file)));
        const source = elf.replace(/\.elf$/, '');
        expect(files.some((f) => /\.(c|S)$/.test(f) && basename(f).startsWith(source))).toBe(true);
      });

      it('lineAt and function names agree with addr2line -f at every instruction', () => {
        const addresses = instructionAddresses(elf);
        expect(addresses.length).toBeGreaterThan(10);
        const ref = addr2line(elf, addresses);
        const objdump = objdumpLookup(objdumpLines(elf));
        let quirks = 0;
        let located = 0;
        let named = 0;
        addresses.forEach((address, i) => {
          const e = ref[i];
          const loc = debug.lineAt(address);
          const where = `${elf} at 0x${address.toString(16)}`;
          if (e.line === undefined) {
            expect(loc, where).toBeUndefined();
          } else {
            expect(loc, where).toBeDefined();
            // addr2line prefixes the compilation directory; we give the path as recorded.
            if (!e.file.endsWith(loc!.file)) {
              // BFD (binutils 2.40) names the unit's primary file (file 0) for rows that use file 1
              // when the two differ; GDB and llvm-dwarfdump use file 1, as DWARF 5 says. The row's
              // own file name, which objdump prints, is what we must agree with.
              const row = objdump(address);
              expect(row && e.file.endsWith(row.cuPath) && basename(loc!.file) === row.name, `${where}: ${e.file} vs ${loc!.file}`).toBe(true);
              quirks++;
            }
            expect(loc!.line, where).toBe(e.line);
            located++;
          }
          const fn = debug.functionAt(address);
          if (fn) {
            // addr2line names the innermost inlined function.
            const innermost = fn.inlined?.length ? fn.inlined[fn.inlined.length - 1].name : fn.name;
            expect(innermost, where).toBe(e.function);
            expect(address >= fn.low && address < fn.high, where).toBe(true);
            named++;
          } else {
            // No DWARF function (assembly): addr2line falls back to the symbol table.
            const sym = image.symbols.find((s) => s.kind === 'function' && address >= s.address && address < s.address + s.size);
            expect(e.function === '??' || e.function === sym?.name || sym === undefined, where).toBe(true);
          }
        });
        expect(quirks).toBeLessThan(located / 10);
        if (elf !== 'uart.elf' && elf !== 'traps.elf') {
          expect(located / addresses.length).toBeGreaterThan(0.9);
          expect(named / addresses.length).toBeGreaterThan(0.8);
        } else {
          expect(located).toBe(addresses.length);
        }
      });

      it('function ranges agree with the symbol table', () => {
        const functions = image.symbols.filter((s) => s.kind === 'function' && s.size > 0);
        let matched = 0;
        let missing = 0;
        for (const sym of functions) {
          const fn = debug.functionAt(sym.address);
          if (fn === undefined) {
            // Not every function has a DWARF description with addresses (assembly without
            // .type/.size, picolibc's empty lock functions); addr2line names them from the symbols.
            missing++;
            continue;
          }
          expect({ low: fn.low, high: fn.high }, sym.name).toEqual({ low: sym.address, high: sym.address + sym.size });
          // Aliases (__riscv_save_2 and __riscv_save_3 are one function) can only give one name.
          const aliases = functions.filter((s) => s.address === sym.address && s.size === sym.size).map((s) => baseName(s.name));
          expect(aliases, sym.name).toContain(fn.name);
          matched++;
        }
        if (elf !== 'uart.elf' && elf !== 'traps.elf') {
          expect(matched).toBeGreaterThan(20);
          expect(missing).toBeLessThan(matched / 5);
        }
        // functions() lists each function once, sorted.
        const list = debug.functions();
        const distinct = new Set(functions.filter((s) => debug.functionAt(s.address)).map((s) => `${s.address}:${s.size}`));
        expect(list.length).toBeGreaterThanOrEqual(distinct.size);
        for (let i = 1; i < list.length; i++) expect(list[i].low).toBeGreaterThanOrEqual(list[i - 1].low);
      });
    });
  }
});

describe('addressesForLine', () => {
  const { debug } = load('corruption.elf');

  it('finds where a line starts, by file name or path suffix', () => {
    const body = readFileSync(join(EXAMPLES_DIR, 'corruption.c'), 'utf8').split('\n');
    const line = body.findIndex((l) => l.includes('int count = num_samples - WINDOW + 1;')) + 1;
    const addrs = debug.addressesForLine('corruption.c', line);
    expect(addrs.length).toBeGreaterThan(0);
    for (const a of addrs) expect(debug.lineAt(a)?.line).toBe(line);
    expect(debug.addressesForLine('./corruption.c', line)).toEqual(addrs);
    expect(debug.functionAt(addrs[0])?.name).toBe('smooth_readings');
    // Only whole path components match.
    expect(debug.addressesForLine('ruption.c', line)).toEqual([]);
    expect(debug.addressesForLine('corruption.c', 100_000)).toEqual([]);
  });

  it('agrees with the is_stmt rows objdump shows', () => {
    const rows = objdumpLines('corruption.elf').filter((r) => r.name === 'corruption.c');
    const lines = new Set(rows.filter((r) => r.isStmt && r.line !== undefined).map((r) => r.line!));
    expect(lines.size).toBeGreaterThan(20);
    for (const line of lines) {
      const addrs = debug.addressesForLine('corruption.c', line);
      const stmt = new Set(rows.filter((r) => r.isStmt && r.line === line).map((r) => r.address));
      expect(addrs.length, `line ${line}`).toBeGreaterThan(0);
      for (const a of addrs) expect(stmt.has(a), `line ${line} at 0x${a.toString(16)}`).toBe(true);
    }
  });

  it('works for assembly sources', () => {
    const { debug: uart } = load('uart.elf');
    const lines = uart.lineTable().filter((r) => !r.endSequence);
    const addrs = uart.addressesForLine('uart.S', lines[0].line);
    expect(addrs).toContain(lines[0].address);
  });
});
