// `npm run bench`: prints speed figures (not asserted anywhere: machines are noisy).
//  1. CPU: the integer and floating-point benchmark examples on Hindsight (in-process) and on
//     qemu-system-riscv64 -icount shift=0.
//  2. Time travel on a recording of the same program: recording overhead, replay speed,
//     reverse-stepi at the end, seeks to random positions, reverse-continue to an early breakpoint,
//     snapshot memory.
import { concatBytes } from '../workers/formats/bytes';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../workers/engine/machine';
import { BufferedInput } from '../workers/engine/host-input';
import { Timeline } from '../workers/replay/timeline';
import { RecordingWriter, parseRecording } from '../workers/formats/recording';
import { exportSnapshotImage } from '../workers/replay/snapshot-image';
import { SourceDebugger } from '../workers/replay/source';
import { DebugInfo } from '../workers/formats/dwarf';
import { parseElf } from '../workers/formats/elf';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(root, 'public/examples');
const wasm = readFileSync(join(root, 'build/core.release.wasm'));
const program = readFileSync(join(examples, 'bench.elf'));
const RUNS = 3;

const now = () => performance.now();
const mips = (n: bigint, ms: number) => Number(n) / ms / 1000;
const fmtMs = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) + ' ms';
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

async function plainRun(elf: Uint8Array, name: string): Promise<{ icount: bigint; ms: number }> {
  const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 128, commandLine: name });
  m.load(elf);
  const t0 = now();
  const stop = m.run(1n << 40n);
  const ms = now() - t0;
  if (stop.reason !== 'exit') throw new Error(`${name} did not exit: ${stop.reason}`);
  return { icount: m.icount, ms };
}

function qemuRun(name: string): number | undefined {
  const t0 = now();
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-bios', 'none', '-kernel', name, '-semihosting', '-icount', 'shift=0,sleep=off'], { cwd: examples });
  const ms = now() - t0;
  if (r.error) return undefined;
  if (r.status !== 0) throw new Error(`qemu failed with status ${r.status}`);
  return ms;
}

/** One CPU benchmark example on Hindsight and on QEMU; returns Hindsight's best run. */
async function cpuBenchmark(name: string, what: string): Promise<{ icount: bigint; ms: number }> {
  const elf = name === 'bench.elf' ? program : readFileSync(join(examples, name));
  console.log(`CPU: public/examples/${name} (${what})`);
  let best = await plainRun(elf, name);
  for (let i = 1; i < RUNS; i++) { const r = await plainRun(elf, name); if (r.ms < best.ms) best = r; }
  console.log(`  instructions               ${best.icount.toLocaleString('en-US')}`);
  console.log(`  Hindsight run              ${(best.ms / 1000).toFixed(3)} s   ${mips(best.icount, best.ms).toFixed(1)} MIPS (best of ${RUNS})`);
  let qemuBest: number | undefined;
  for (let i = 0; i < RUNS; i++) { const q = qemuRun(name); if (q === undefined) break; if (qemuBest === undefined || q < qemuBest) qemuBest = q; }
  if (qemuBest !== undefined) {
    console.log(`  QEMU -icount shift=0       ${(qemuBest / 1000).toFixed(3)} s   ${mips(best.icount, qemuBest).toFixed(1)} MIPS (whole process, best of ${RUNS})`);
    console.log(`  Hindsight / QEMU speed     ${(mips(best.icount, best.ms) / mips(best.icount, qemuBest)).toFixed(2)}`);
  } else {
    console.log('  QEMU                       qemu-system-riscv64 not found');
  }
  return best;
}

async function main(): Promise<void> {
  console.log(`Hindsight benchmarks (Node ${process.versions.node}, V8 ${process.versions.v8})\n`);
  const best = await cpuBenchmark('bench.elf', 'sorting, hashing, matrix multiplication, pointer chasing');
  console.log('');
  await cpuBenchmark('fpbench.elf', 'floating point: n-body, fused multiply-add matrix product, Mandelbrot, single-precision filter');

  console.log('\nTime travel on a recording of bench.elf');
  const t0 = now();
  const rec = await Timeline.record(wasm, program, 'bench.elf', { ramMiB: 128, commandLine: 'bench.elf' }, new BufferedInput(new Uint8Array()), 'cli');
  const recorded = await rec.continue();
  const recordMs = now() - t0;
  if (recorded.reason !== 'exit' || !rec.ended) throw new Error(`recording did not end at exit: ${recorded.reason}`);
  const file = concatBytes([RecordingWriter.start(rec.meta, program), RecordingWriter.events(rec.takeNewEvents()), RecordingWriter.end(rec.ended)]);
  console.log(`  record                     ${(recordMs / 1000).toFixed(3)} s   ${mips(rec.icount, recordMs).toFixed(1)} MIPS   overhead vs run ${((recordMs / best.ms - 1) * 100).toFixed(1)}%`);
  console.log(`  recording file             ${(file.length / 1024).toFixed(0)} KiB (${(program.length / 1024).toFixed(0)} KiB of it the program)`);

  const t1 = now();
  const tl = await Timeline.replay(wasm, parseRecording(file));
  const replayed = await tl.continue();
  const replayMs = now() - t1;
  console.log(`  replay (checking digests)  ${(replayMs / 1000).toFixed(3)} s   ${mips(tl.icount, replayMs).toFixed(1)} MIPS   ended: ${replayed.reason} ${replayed.exitCode ?? ''}`);
  const snaps = tl.snapshots.stats();
  console.log(`  snapshots after replay     ${snaps.count}, ${(snaps.bytes / 1048576).toFixed(1)} MiB (budget 512 MiB)`);

  const end = tl.icount;
  const r0 = now();
  tl.reverseStepi();
  const firstRsi = now() - r0;
  const rsi: number[] = [];
  for (let i = 0; i < 50; i++) { const s = now(); tl.reverseStepi(); rsi.push(now() - s); }
  rsi.sort((a, b) => a - b);
  console.log(`  reverse-stepi at the end   first ${fmtMs(firstRsi)}, then p50 ${fmtMs(percentile(rsi, 50))}, max ${fmtMs(rsi[rsi.length - 1])} (50 more)`);

  const rand = random(42);
  const seeks: number[] = [];
  for (let i = 0; i < 100; i++) {
    const target = BigInt(Math.floor(rand() * Number(end)));
    const s = now();
    tl.seek(target);
    seeks.push(now() - s);
    if (tl.icount !== target) throw new Error('seek missed');
  }
  seeks.sort((a, b) => a - b);
  console.log(`  seek, 100 random positions p50 ${fmtMs(percentile(seeks, 50))}, p99 ${fmtMs(percentile(seeks, 99))}, max ${fmtMs(seeks[seeks.length - 1])}`);

  tl.seek(end);
  const bp = tl.addBreakpoint('quicksort.constprop.0');
  const c0 = now();
  const hit = await tl.reverseContinue();
  const rcMs = now() - c0;
  console.log(`  reverse-continue to the last call of quicksort (early in the run), from the end: ${fmtMs(rcMs)}, ` +
    `landed at icount ${hit.icount} (${(Number(hit.icount) / Number(end) * 100).toFixed(1)}% into the run): ${hit.reason}`);
  tl.deleteTrap(bp.id);

  // reverse-next over a whole call: back from just after main's first call to quicksort to the call line.
  const debug = DebugInfo.fromElf(parseElf(program));
  const src = new SourceDebugger(tl, debug);
  const qs = BigInt(tl.machine.symbols.lookup('quicksort.constprop.0')!.address);
  const mainSym = tl.machine.symbols.lookup('main')!;
  let callSite = -1n;
  for (let a = BigInt(mainSym.address); a < BigInt(mainSym.address + mainSym.size); a += 2n) {
    const b = tl.machine.readMemory(a, 4)!;
    const w = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    if ((w & 0xfff) === 0x0ef) { // jal ra, ...
      const imm = ((w >> 31) ? -1 << 20 : 0) | (w & 0xff000) | ((w >> 9) & 0x800) | ((w >> 20) & 0x7fe);
      if (a + BigInt(imm) === qs) { callSite = a; break; }
    }
  }
  const after = tl.addBreakpoint(callSite + 4n);
  tl.seek(0n);
  await tl.continue();
  tl.deleteTrap(after.id);
  const from = tl.icount;
  const n0 = now();
  await src.reverseNext();
  const rnMs = now() - n0;
  console.log(`  reverse-next over a call of ${(from - tl.icount).toLocaleString('en-US')} instructions (quicksort): ${fmtMs(rnMs)}`);

  const final = tl.snapshots.stats();
  console.log(`  snapshots at the end       ${final.count}, ${(final.bytes / 1048576).toFixed(1)} MiB`);

  console.log('\nSnapshot images (qcow2) of the same recording');
  const fresh = await Timeline.replay(wasm, parseRecording(file));
  await fresh.continue();
  const e0 = now();
  const image = exportSnapshotImage(fresh);
  const exportMs = now() - e0;
  const count = fresh.snapshots.list().filter((x) => x.icount === 0n || fresh.hasDigestAt(x.icount)).length;
  console.log(`  image                      ${(image.length / 1048576).toFixed(1)} MiB for ${count} snapshots: ${(image.length / count / 1024).toFixed(0)} KiB per snapshot`);
  console.log(`  writing it                 ${fmtMs(exportMs)} in all, ${fmtMs(exportMs / count)} per snapshot`);
  const parsed = parseRecording(file);
  const withImage = concatBytes([RecordingWriter.start(parsed.meta, program), RecordingWriter.events(parsed.events),
    RecordingWriter.snapshot(image), RecordingWriter.end(parsed.end!)]);
  const o0 = now();
  const opened = await Timeline.replay(wasm, parseRecording(withImage));
  opened.seek(opened.length - 1n);
  const openWith = now() - o0;
  const o1 = now();
  const plain = await Timeline.replay(wasm, parseRecording(file), { useSnapshotImage: false });
  plain.seek(plain.length - 1n);
  const openWithout = now() - o1;
  console.log(`  open a recording and show its last instruction: with the image ${fmtMs(openWith)}, without ${fmtMs(openWithout)}`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
