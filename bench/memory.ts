// `npm run bench` sections that run the `hindsight` command as a user does:
// its peak memory on a guest that fills its RAM, and the speed of a debug
// session with and without an embedded snapshot image. Printed, not asserted
// (tests/cli/memory.test.ts and tests/replay/snapshot-image.test.ts assert bounds).
import { spawnSync } from 'node:child_process';
import { rmSync, statSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../tests/support/qemu';
import { fillRamElf, measureHindsight } from '../tests/support/fill-ram';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;

/** Peak RSS of record, replay, verify and snapshot export of a guest that fills 512 MiB. */
export function memoryBenchmark(): void {
  const R = 512;
  console.log(`\nHost memory: a guest that fills ${R} MiB of RAM (peak resident set size of the hindsight process)`);
  const dir = tempDir('bench-memory');
  try {
    const elf = fillRamElf(R);
    const hsr = join(dir, 'fill.hsr');
    const steps: [string, string[]][] = [
      ['run (no recording)         ', ['run', elf, '--ram', String(R)]],
      ['record                     ', ['record', elf, '--ram', String(R), '-o', hsr]],
      ['replay                     ', ['replay', hsr]],
      ['verify                     ', ['verify', hsr]],
      ['snapshots -o image.qcow2   ', ['snapshots', hsr, '-o', join(dir, 'image.qcow2')]],
      ['snapshots --embed          ', ['snapshots', hsr, '--embed']],
    ];
    for (const [label, args] of steps) {
      const t0 = performance.now();
      const m = measureHindsight(args, dir);
      const s = (performance.now() - t0) / 1000;
      if (m.status !== 0) throw new Error(`hindsight ${args.join(' ')} failed (${m.status}): ${m.stderr}`);
      console.log(`  ${label} ${(m.peakBytes / MiB).toFixed(0).padStart(5)} MiB = R + ${((m.peakBytes / MiB) - R).toFixed(0)} MiB   ${s.toFixed(2)} s`);
    }
    console.log(`  image                        ${(statSync(join(dir, 'image.qcow2')).size / MiB).toFixed(1)} MiB (the bound of the issue: R + 150 MiB = ${R + 150} MiB)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `hindsight debug` script on the bench recording: seek to the end, step back, watch, reverse-continue. */
export function debugImageBenchmark(): void {
  console.log('\nA debug session on the bench recording, with and without its embedded snapshot image');
  const dir = tempDir('bench-debug');
  const bin = join(root, 'bin/hindsight.mjs');
  const hindsight = (args: string[], input = '') => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, input, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`hindsight ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  try {
    const plain = join(dir, 'bench.hsr');
    hindsight(['record', join(root, 'public/examples/bench.elf'), '-o', plain]);
    const withImage = join(dir, 'bench-image.hsr');
    copyFileSync(plain, withImage);
    hindsight(['snapshots', withImage, '--embed']);
    const length = /length:\s+(\d+)/.exec(hindsight(['info', plain]))?.[1];
    for (const variable of ['keys', 'hash_buf']) {
      // The whole array, by address and size (as `nm -S` gives them).
      const { address, size } = symbolOf(join(root, 'public/examples/bench.elf'), variable);
      const script = `seek ${length}\nreverse-stepi\nwatch 0x${address.toString(16)} ${size}\nreverse-continue\nquit\n`;
      const times: string[] = [];
      let landed = '';
      for (const file of [withImage, plain]) {
        const t0 = performance.now();
        const out = hindsight(['debug', file], script);
        times.push(`${((performance.now() - t0) / 1000).toFixed(2)} s`);
        landed = /^\[(\d+)\][^\n]*watchpoint 1: write/m.exec(out)?.[1] ?? '?';
      }
      console.log(`  seek to the end, reverse-stepi, watch ${variable.padEnd(8)}, reverse-continue (lands at ${landed}): with the image ${times[0]}, without ${times[1]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A symbol's address and size, from riscv64-unknown-elf-nm. */
function symbolOf(elf: string, name: string): { address: number; size: number } {
  const r = spawnSync('riscv64-unknown-elf-nm', ['-S', elf], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`riscv64-unknown-elf-nm failed: ${r.error?.message ?? r.stderr}`);
  const line = r.stdout.split('\n').find((l) => l.trim().split(/\s+/)[3] === name);
  if (!line) throw new Error(`no symbol ${name} in ${elf}`);
  const [address, size] = line.trim().split(/\s+/);
  return { address: parseInt(address, 16), size: parseInt(size, 16) };
}
