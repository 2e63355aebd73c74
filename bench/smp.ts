// `npm run bench -- smp`: a CPU-bound parallel program (tests/support/smp-programs.ts
// parallelWorkSource) on Hindsight with 4 harts and with 1, and on QEMU -smp 4
// with one TCG thread (and with -icount, Hindsight's own deterministic mode)
// and with MTTCG (a thread per hart). The same total work each time.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Machine } from '../workers/engine/machine';
import { BufferedInput } from '../workers/engine/host-input';
import { buildSmpProgram, parallelWorkSource } from '../tests/support/smp-programs';

const TOTAL = 40_000_000;
const RUNS = 3;

async function hindsight(wasm: Uint8Array, path: string, harts: number): Promise<{ ms: number; icount: bigint; out: string }> {
  let best = { ms: Infinity, icount: 0n, out: '' };
  for (let i = 0; i < RUNS; i++) {
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 64, harts: { count: harts, quantum: 10_000, seed: 0 } });
    m.load(readFileSync(path));
    let out = '';
    m.onOutput((b) => { out += Buffer.from(b).toString('latin1'); });
    const t0 = performance.now();
    const stop = m.run(1n << 40n);
    const ms = performance.now() - t0;
    if (stop.reason !== 'exit') throw new Error(`parallel work stopped: ${stop.reason}`);
    if (ms < best.ms) best = { ms, icount: m.icount, out };
  }
  return best;
}

function qemu(path: string, harts: number, extra: string[]): number {
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync('qemu-system-riscv64', ['-machine', 'virt', '-bios', 'none', '-kernel', path, '-smp', String(harts), '-m', '64M',
      '-nographic', '-monitor', 'none', ...extra], { encoding: 'latin1', timeout: 120_000 });
    const ms = performance.now() - t0;
    if (!r.stdout.includes('sum ')) throw new Error(`QEMU did not finish: ${r.stderr}`);
    best = Math.min(best, ms);
  }
  return best;
}

export async function smpBenchmark(wasm: Uint8Array): Promise<void> {
  console.log(`\nSeveral harts: ${TOTAL.toLocaleString('en-US')} iterations of an integer hash split among the harts (best of ${RUNS})`);
  const four = buildSmpProgram('parallel4', parallelWorkSource(4, TOTAL));
  const one = buildSmpProgram('parallel1', parallelWorkSource(1, TOTAL));
  const h4 = await hindsight(wasm, four, 4);
  const h1 = await hindsight(wasm, one, 1);
  if (h4.out !== h1.out) throw new Error(`the sums differ: ${h4.out} / ${h1.out}`);
  const mips = (r: { ms: number; icount: bigint }) => Number(r.icount) / r.ms / 1000;
  console.log(`  Hindsight --smp 4          ${(h4.ms / 1000).toFixed(3)} s   ${mips(h4).toFixed(1)} MIPS (${h4.icount.toLocaleString('en-US')} instructions, all harts)`);
  console.log(`  Hindsight, one hart        ${(h1.ms / 1000).toFixed(3)} s   ${mips(h1).toFixed(1)} MIPS`);
  for (const [label, extra] of [
    ['QEMU -smp 4, one TCG thread', ['-accel', 'tcg,thread=single']],
    ['QEMU -smp 4 -icount shift=0', ['-icount', 'shift=0,sleep=off']],
    ['QEMU -smp 4, MTTCG        ', ['-accel', 'tcg,thread=multi']],
  ] as const) {
    const ms = qemu(four, 4, [...extra]);
    console.log(`  ${label} ${(ms / 1000).toFixed(3)} s   Hindsight --smp 4 / QEMU speed ${(ms / h4.ms).toFixed(2)} (whole process)`);
  }
}
