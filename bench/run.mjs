// `npm run bench`: prints speed figures (not asserted anywhere: machines are noisy).
// Runs the CPU benchmark example on Hindsight and, when it is installed, on
// qemu-system-riscv64 with exact instruction counting, and prints both speeds.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'public/examples');
const elf = 'bench.elf';
const RUNS = 3;

function hindsightRun() {
  const r = spawnSync(process.execPath, [join(root, 'bin/hindsight.mjs'), 'run', elf, '--stats'], { cwd: examples, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hindsight run failed (${r.status}): ${r.stderr}`);
  const instructions = Number(/instructions: (\d+)/.exec(r.stderr)[1]);
  const seconds = Number(/seconds: ([\d.]+)/.exec(r.stderr)[1]);
  return { instructions, seconds };
}

function qemuRun() {
  const started = process.hrtime.bigint();
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-bios', 'none', '-kernel', elf, '-semihosting', '-icount', 'shift=0,sleep=off'], { cwd: examples, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) return undefined;
  if (r.status !== 0) throw new Error(`qemu failed (${r.status}): ${r.stderr}`);
  return { seconds };
}

const mips = (n, s) => n / s / 1e6;

console.log(`CPU benchmark (public/examples/${elf}), best of ${RUNS} runs`);
let best;
for (let i = 0; i < RUNS; i++) {
  const r = hindsightRun();
  if (!best || r.seconds < best.seconds) best = r;
}
console.log(`  instructions:           ${best.instructions.toLocaleString('en-US')}`);
console.log(`  Hindsight (Node ${process.versions.node}, V8 ${process.versions.v8}): ${best.seconds.toFixed(3)} s, ${mips(best.instructions, best.seconds).toFixed(1)} MIPS`);
let qemuBest;
for (let i = 0; i < RUNS; i++) {
  const q = qemuRun();
  if (!q) break;
  if (!qemuBest || q.seconds < qemuBest.seconds) qemuBest = q;
}
if (qemuBest) {
  const q = mips(best.instructions, qemuBest.seconds);
  console.log(`  QEMU -icount shift=0 (whole process): ${qemuBest.seconds.toFixed(3)} s, ${q.toFixed(1)} MIPS`);
  console.log(`  Hindsight / QEMU speed: ${(mips(best.instructions, best.seconds) / q).toFixed(2)}`);
} else {
  console.log('  QEMU: qemu-system-riscv64 not found, skipped');
}
