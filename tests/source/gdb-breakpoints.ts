// GDB as the oracle for breakpoint locations: `break TEXT` for many texts in
// one gdb-multiarch run on an ELF, and the addresses `info breakpoints` lists
// for each. A missing gdb-multiarch fails the test.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** For each text: the sorted addresses of its breakpoint, or undefined when GDB refused it. */
export function gdbBreakpoints(elf: string, texts: string[], cwd: string): Map<string, number[] | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-gdb-break-'));
  const outFile = join(dir, 'out.txt');
  const fd = openSync(outFile, 'w');
  const args = ['-batch', '-nx', '-ex', 'set confirm off', '-ex', 'set breakpoint pending off'];
  texts.forEach((t, i) => args.push('-ex', `echo @@${i}\\n`, '-ex', `break ${t}`));
  args.push('-ex', 'echo @@info\\n', '-ex', 'info breakpoints', elf);
  const r = spawnSync('gdb-multiarch', args, { cwd, stdio: ['ignore', fd, fd], timeout: 120_000 });
  closeSync(fd);
  const out = readFileSync(outFile, 'latin1');
  rmSync(dir, { recursive: true, force: true });
  if (r.error) throw new Error(`cannot run gdb-multiarch (is it installed?): ${r.error.message}`);
  // Which breakpoint number each text got: "Breakpoint N at ..." after its marker.
  const numberOf = new Map<number, number>();
  let current = -1;
  let info = false;
  const addresses = new Map<number, number[]>();
  let last = 0;
  for (const line of out.split('\n')) {
    const marker = /^@@(\d+|info)$/.exec(line.trim());
    if (marker) {
      if (marker[1] === 'info') info = true;
      else current = Number(marker[1]);
      continue;
    }
    if (!info) {
      const m = /^Breakpoint (\d+) at /.exec(line);
      if (m && current >= 0 && !numberOf.has(current)) numberOf.set(current, Number(m[1]));
      continue;
    }
    // "3       breakpoint     keep y   0x0000000080000422 in ..." or "3.1    y   0x..." or "3  breakpoint keep y <MULTIPLE>".
    const top = /^(\d+)\s+breakpoint\s+\S+\s+[yn]\s+(0x[0-9a-f]+|<MULTIPLE>)/.exec(line);
    if (top) {
      last = Number(top[1]);
      addresses.set(last, top[2] === '<MULTIPLE>' ? [] : [Number(top[2])]);
      continue;
    }
    const sub = /^(\d+)\.\d+\s+[yn]\s+(0x[0-9a-f]+)/.exec(line);
    if (sub) addresses.get(Number(sub[1]))?.push(Number(sub[2]));
  }
  const result = new Map<string, number[] | undefined>();
  texts.forEach((t, i) => {
    const n = numberOf.get(i);
    result.set(t, n === undefined ? undefined : [...(addresses.get(n) ?? [])].sort((a, b) => a - b));
  });
  return result;
}
