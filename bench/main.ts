// `npm run bench`: prints speed figures (not asserted anywhere: machines are noisy).
//  1. CPU: the integer and floating-point benchmark examples on Hindsight (in-process; with the
//     translation tier and with --no-jit) and on qemu-system-riscv64, plain TCG and -icount shift=0.
//  2. Time travel on a recording of the same program: recording overhead, replay speed,
//     reverse-stepi at the end, seeks to random positions, reverse-continue to an early breakpoint,
//     snapshot memory.
//  3. An operating system: xv6-riscv (built from ../shared/third_party/xv6-riscv) booting to its
//     shell prompt, on Hindsight and on QEMU, then recorded, replayed and travelled through.
//  4. Host memory: a guest that fills 512 MiB of RAM, recorded, replayed and exported by the
//     `hindsight` command, each with its peak resident set size (bench/memory.ts).
//  5. A `hindsight debug` session on the bench recording with and without its embedded
//     snapshot image (bench/memory.ts).
//  6. The history of a value: every write to one 8-byte variable (rng_state) of the bench recording,
//     from its snapshots, by worker threads (one per core), and in this thread alone.
//  7. Several harts: a CPU-bound parallel program with --smp 4 and one hart, and on QEMU -smp 4
//     with one TCG thread, with -icount, and with MTTCG (bench/smp.ts).
// `npm run bench -- cpu|os|memory|debug|history|smp` runs one section alone.
import { concatBytes } from '../workers/formats/bytes';
import { smpBenchmark } from './smp';
import { spawnSync, spawn } from 'node:child_process';
import { buildXv6, qemuXv6Args } from '../tests/support/xv6';
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
import { memoryBenchmark, debugImageBenchmark } from './memory';
import { computeValueHistory, exploreTimeline, pooledSpawner } from '../workers/replay/value-history';
import { historyWorkerCount, nodeHistorySpawner, serveIfHistoryWorker } from '../workers/cli/history-workers';

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

async function plainRun(elf: Uint8Array, name: string, jit = true): Promise<{ icount: bigint; ms: number; translated: bigint; translateMs: number }> {
  const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 128, commandLine: name, jit });
  m.load(elf);
  const t0 = now();
  const stop = m.run(1n << 40n);
  const ms = now() - t0;
  if (stop.reason !== 'exit') throw new Error(`${name} did not exit: ${stop.reason}`);
  const j = m.core.jitStats();
  return { icount: m.icount, ms, translated: j.instructions, translateMs: j.translateMs };
}

/** One QEMU run of the example: with -icount shift=0 (its deterministic mode) or plain TCG. */
function qemuRun(name: string, icount = true): number | undefined {
  const t0 = now();
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-bios', 'none', '-kernel', name, '-semihosting', ...(icount ? ['-icount', 'shift=0,sleep=off'] : [])], { cwd: examples });
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
  let interpreted = await plainRun(elf, name, false);
  for (let i = 1; i < RUNS; i++) { const r = await plainRun(elf, name, false); if (r.ms < interpreted.ms) interpreted = r; }
  const share = Number(best.translated * 10000n / best.icount) / 100;
  console.log(`  instructions               ${best.icount.toLocaleString('en-US')}`);
  console.log(`  Hindsight run              ${(best.ms / 1000).toFixed(3)} s   ${mips(best.icount, best.ms).toFixed(1)} MIPS (best of ${RUNS}; ${share.toFixed(1)}% run translated, ${best.translateMs.toFixed(0)} ms translating)`);
  console.log(`  Hindsight --no-jit         ${(interpreted.ms / 1000).toFixed(3)} s   ${mips(interpreted.icount, interpreted.ms).toFixed(1)} MIPS (best of ${RUNS}, interpreter only)`);
  for (const icount of [false, true]) {
    let qemuBest: number | undefined;
    for (let i = 0; i < RUNS; i++) { const q = qemuRun(name, icount); if (q === undefined) break; if (qemuBest === undefined || q < qemuBest) qemuBest = q; }
    const label = icount ? 'QEMU -icount shift=0      ' : 'QEMU TCG (no icount)      ';
    if (qemuBest !== undefined) {
      console.log(`  ${label} ${(qemuBest / 1000).toFixed(3)} s   ${mips(best.icount, qemuBest).toFixed(1)} MIPS (whole process, best of ${RUNS})`);
      console.log(`  Hindsight / ${icount ? 'QEMU -icount' : 'QEMU TCG    '}    ${(mips(best.icount, best.ms) / mips(best.icount, qemuBest)).toFixed(2)} (--no-jit ${(mips(interpreted.icount, interpreted.ms) / mips(best.icount, qemuBest)).toFixed(2)})`);
    } else {
      console.log('  QEMU                       qemu-system-riscv64 not found');
    }
  }
  return best;
}

async function main(): Promise<void> {
  console.log(`Hindsight benchmarks (Node ${process.versions.node}, V8 ${process.versions.v8})\n`);
  // `npm run bench -- os`: only the operating-system section.
  if (process.argv.includes('os')) { await osBenchmark(); return; }
  if (process.argv.includes('memory')) { memoryBenchmark(); return; }
  if (process.argv.includes('debug')) { debugImageBenchmark(); return; }
  if (process.argv.includes('history')) { await historyBenchmark(); return; }
  if (process.argv.includes('smp')) { await smpBenchmark(wasm); return; }
  const best = await cpuBenchmark('bench.elf', 'sorting, hashing, matrix multiplication, pointer chasing');
  console.log('');
  await cpuBenchmark('fpbench.elf', 'floating point: n-body, fused multiply-add matrix product, Mandelbrot, single-precision filter');
  // `npm run bench -- cpu`: only the CPU section.
  if (process.argv.includes('cpu')) return;

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

  await historyBenchmark(file);
  debugImageBenchmark();
  await osBenchmark();
  await smpBenchmark(wasm);
  memoryBenchmark();
}

/** All writes to one 8-byte variable in the bench recording, in parallel from the snapshots. */
async function historyBenchmark(recording?: Uint8Array): Promise<void> {
  let file = recording;
  if (!file) {
    const rec = await Timeline.record(wasm, program, 'bench.elf', { ramMiB: 128, commandLine: 'bench.elf' }, new BufferedInput(new Uint8Array()), 'cli');
    await rec.continue();
    file = concatBytes([RecordingWriter.start(rec.meta, program), RecordingWriter.events(rec.takeNewEvents()), RecordingWriter.end(rec.ended!)]);
  }
  const tl = await Timeline.replay(wasm, parseRecording(file));
  const x0 = now();
  await exploreTimeline(tl);
  const exploreMs = now() - x0;
  const sym = tl.machine.symbols.lookup('rng_state');
  if (!sym) throw new Error('bench.elf has no rng_state');
  const range = { address: BigInt(sym.address), length: 8 };
  const workers = historyWorkerCount();
  console.log(`\nThe history of a value: every write to rng_state (8 bytes) in the bench recording (${tl.length.toLocaleString('en-US')} instructions, ${tl.snapshots.stats().count} snapshots)`);
  console.log(`  first pass to make the snapshots (once per opened recording): ${(exploreMs / 1000).toFixed(3)} s`);
  const pool = pooledSpawner(nodeHistorySpawner(new URL(import.meta.url)));
  const spawn = pool.spawn;
  for (let run = 0; run < 2; run++) {
    const h0 = now();
    const h = await computeValueHistory(tl, range, { spawn, wasm, workers });
    const ms = now() - h0;
    console.log(`  ${workers} worker threads${run ? ', started' : ', starting them'}`.padEnd(35) + `${(ms / 1000).toFixed(3)} s: ${h.writes.length.toLocaleString('en-US')} writes, ` +
      `${h.segments} segments (${h.skipped} skipped: the page was not written), ${(Number(h.replayed) / 1e6).toFixed(0)} M instructions replayed`);
  }
  pool.close();
  const s0 = now();
  const serial = await computeValueHistory(tl, range);
  console.log(`  in this thread alone`.padEnd(35) + `${((now() - s0) / 1000).toFixed(3)} s: ${serial.writes.length.toLocaleString('en-US')} writes`);
}

/** Wall-clock ms until QEMU's console shows the xv6 shell prompt (then it is killed). */
function qemuUntilPrompt(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const q = spawn('qemu-system-riscv64', [...args, '-snapshot'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    q.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('$ ')) { const ms = now() - t0; q.kill(); resolve(ms); }
    });
    q.on('error', reject);
  });
}

async function osBenchmark(): Promise<void> {
  const b = buildXv6(join(root, '../shared/third_party/xv6-riscv'));
  console.log('\nOS: xv6-riscv boots to its shell prompt (Sv39 paging, PLIC, UART interrupts, virtio-blk)');
  // Timed from the machine's creation, as QEMU's whole process is and as the recording below is.
  const bootOnce = async (): Promise<{ icount: bigint; ms: number; jit: string }> => {
    const t0 = now();
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 128, disk: b.fsImage });
    m.load(b.kernel);
    let out = '';
    m.onOutput((bytes) => { out += Buffer.from(bytes).toString('latin1'); });
    while (!out.includes('$ ')) {
      const stop = m.run(4_000_000n);
      if (stop.reason !== 'budget' || m.icount > 5_000_000_000n) throw new Error(`xv6 did not reach its prompt: ${stop.reason}`);
    }
    const jit = m.core.jitStats();
    return { icount: m.icount, ms: now() - t0, jit: `${(Number(jit.instructions) / Number(m.icount) * 100).toFixed(1)}% run translated, ${jit.blocksTranslated} blocks, ${jit.translateMs.toFixed(0)} ms translating` };
  };
  let best = await bootOnce();
  for (let i = 1; i < RUNS; i++) { const r = await bootOnce(); if (r.ms < best.ms) best = r; }
  console.log(`  instructions to the prompt ${best.icount.toLocaleString('en-US')} (within 4 million: measured in slices)`);
  console.log(`  Hindsight boot             ${(best.ms / 1000).toFixed(3)} s   ${mips(best.icount, best.ms).toFixed(1)} MIPS (best of ${RUNS}, from creating the machine; ${best.jit})`);
  for (const [label, extra] of [['QEMU -icount shift=0      ', ['-icount', 'shift=0,sleep=off']], ['QEMU (TCG, no icount)     ', []]] as const) {
    let q = Infinity;
    for (let i = 0; i < RUNS; i++) q = Math.min(q, await qemuUntilPrompt([...qemuXv6Args(b), ...extra]));
    console.log(`  ${label} ${(q / 1000).toFixed(3)} s   Hindsight / QEMU speed ${(q / best.ms).toFixed(2)} (whole process, best of ${RUNS})`);
  }

  const r0 = now();
  const rec = await Timeline.record(wasm, b.kernel, 'kernel', { ramMiB: 128, disk: b.fsImage }, new BufferedInput(new Uint8Array()), 'cli');
  let text = '';
  rec.onOutput((bytes) => { text += Buffer.from(bytes).toString('latin1'); });
  while (!text.includes('$ ')) await rec.continue({ limit: 4_000_000n });
  rec.sendUartInput(new TextEncoder().encode('ls\n'));
  const atLs = rec.icount;
  while (!text.slice(text.indexOf('ls\n')).includes('$ ')) await rec.continue({ limit: 4_000_000n });
  const end = rec.stopRecording();
  const recordMs = now() - r0;
  console.log(`  record boot + ls           ${(recordMs / 1000).toFixed(3)} s   ${mips(end.icount, recordMs).toFixed(1)} MIPS   overhead vs boot ${((recordMs / best.ms * Number(best.icount) / Number(end.icount) - 1) * 100).toFixed(1)}%`);
  const file = concatBytes([RecordingWriter.start(rec.meta, b.kernel, rec.disk), RecordingWriter.events(rec.events.slice()), RecordingWriter.end(end)]);
  console.log(`  recording file             ${(file.length / 1048576).toFixed(2)} MiB (${(b.fsImage.length / 1048576).toFixed(2)} MiB of it the disk image)`);
  const snaps = rec.snapshots.stats();
  console.log(`  snapshots                  ${snaps.count}, ${(snaps.bytes / 1048576).toFixed(1)} MiB`);
  const p0 = now();
  const tl = await Timeline.replay(wasm, parseRecording(file));
  await tl.continue();
  const replayMs = now() - p0;
  console.log(`  replay (checking digests)  ${(replayMs / 1000).toFixed(3)} s   ${mips(tl.icount, replayMs).toFixed(1)} MIPS`);
  const rand = random(7);
  const seeks: number[] = [];
  for (let i = 0; i < 50; i++) {
    const target = BigInt(Math.floor(rand() * Number(end.icount)));
    const s = now();
    tl.seek(target);
    seeks.push(now() - s);
  }
  seeks.sort((x, y) => x - y);
  console.log(`  seek, 50 random positions  p50 ${fmtMs(percentile(seeks, 50))}, p99 ${fmtMs(percentile(seeks, 99))}`);
  tl.seek(end.icount);
  const rsi: number[] = [];
  for (let i = 0; i < 20; i++) { const s = now(); tl.reverseStepi(); rsi.push(now() - s); }
  rsi.sort((x, y) => x - y);
  console.log(`  reverse-stepi at the end   p50 ${fmtMs(percentile(rsi, 50))}, max ${fmtMs(rsi[rsi.length - 1])}`);
  tl.seek(end.icount);
  tl.addWatchpoint('ticks', 4, 'write');
  const w0 = now();
  const hit = await tl.reverseContinue();
  console.log(`  reverse-continue to the last write of ticks (watchpoint): ${fmtMs(now() - w0)}, ${hit.reason} at icount ${hit.icount} (${end.icount - hit.icount} back; ls typed at ${atLs})`);
}

if (!serveIfHistoryWorker()) main().catch((e: unknown) => { console.error(e); process.exit(1); });
