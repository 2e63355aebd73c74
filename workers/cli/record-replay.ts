// `hindsight record`, `hindsight replay` and `hindsight info`.
import { readFileSync, statSync, mkdtempSync, rmSync, openSync, writeSync, readSync, fstatSync, fsyncSync, closeSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingWriter, countEvents, type ParsedRecording } from '../formats/recording';
import { writeSnapshotImage, SnapshotImageError } from '../replay/snapshot-image';
import { FileImageStore } from './file-image-store';
import { basename } from 'node:path';
import { Timeline, ReplayDivergence, STOPPED, type MotionResult, type TimelineOptions } from '../replay/timeline';
import { MachineError } from '../engine/machine';
import { UartFeeder } from '../engine/uart-feeder';
import { BufferedInput, type HostInput } from '../engine/host-input';
import { ElfError } from '../formats/elf';
import { DEFAULT_RAM_MIB, MAX_RAM_MIB } from '../engine/memory-map';
import { loadCoreWasm, StdinInput, streamStdinTo, readDiskImage, consoleFlag, CLI_SNAPSHOT_BUDGET } from './node-host';
import { parseArgs, integerFlag, UsageError, HART_FLAGS, hartsFlags, JIT_FLAGS, applyJitFlags } from './args';
import { jitStatsText } from './jit-stats';
import { RecordingFileWriter, readRecordingFile } from './recording-file';
import { writeAll, CliFailure, EXIT, terminalSafe, jsonTerminalSafe } from './output';
import { recordingMachineProblem } from './recording-check';

export async function cmdRecord(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    '-o': { value: true }, '--output': { value: true }, '--stdin': { value: true }, '--ram': { value: true },
    '--max-insns': { value: true }, '--stats': { value: false }, '--disk': { value: true }, '--console': { value: true }, ...HART_FLAGS, ...JIT_FLAGS,
  });
  applyJitFlags(args);
  if (args.positional.length !== 1) throw new UsageError('record needs one program: hindsight record <prog.elf> -o <file.hsr>');
  const consoleMode = consoleFlag(args.flags.get('--console'));
  const diskPath = args.flags.get('--disk');
  const disk = typeof diskPath === 'string' ? readDiskImage(diskPath) : undefined;
  const out = (args.flags.get('-o') ?? args.flags.get('--output')) as string | undefined;
  if (typeof out !== 'string') throw new UsageError('record needs an output file: -o <file.hsr>');
  const ramMiB = Number(integerFlag(args, '--ram', 1n, BigInt(MAX_RAM_MIB)) ?? BigInt(DEFAULT_RAM_MIB));
  const harts = hartsFlags(args);
  const maxInsns = integerFlag(args, '--max-insns', 1n, 1n << 62n);
  const path = args.positional[0];
  const program = readInput(path);
  const stdinPath = args.flags.get('--stdin');
  const script = typeof stdinPath === 'string' ? readInput(stdinPath) : undefined;
  const live: HostInput = consoleMode === 'uart' ? new BufferedInput(new Uint8Array(0))
    : script ? new BufferedInput(script) : new StdinInput();

  let timeline: Timeline;
  try {
    timeline = await Timeline.record(loadCoreWasm(), program, path, { ramMiB, commandLine: path, ...(disk ? { disk } : {}), ...(harts ? { harts } : {}) }, live, 'cli',
      { budgetBytes: CLI_SNAPSHOT_BUDGET });
  } catch (e) {
    if (e instanceof ElfError) throw new CliFailure(EXIT.load, `${path}: ${e.message}`);
    if (e instanceof MachineError) throw new CliFailure(EXIT.load, e.message);
    throw e;
  }
  timeline.onOutput((bytes, stream) => writeAll(stream === 'stderr' ? 2 : 1, bytes));
  const file = new RecordingFileWriter(out, { ...timeline.meta, name: basename(path) }, program, timeline.disk);
  // Ctrl-C ends the recording where the program is, and keeps it: an OS never exits by itself.
  const interrupted = new AbortController();
  const onInterrupt = () => interrupted.abort();
  process.once('SIGINT', onInterrupt);
  const feeder = consoleMode === 'uart' ? new UartFeeder() : undefined;
  // A script (--stdin FILE) goes to the UART by the feeder's rule, at slice boundaries: the same run every time.
  if (feeder && script) feeder.push(script);
  const stopReading = feeder && !script ? streamStdinTo(feeder) : undefined;
  const started = performance.now();
  let result: MotionResult;
  try {
    result = await timeline.continue({
      limit: maxInsns, signal: interrupted.signal,
      onSlice: () => {
        feeder?.deliver(timeline);
        file.events(timeline.takeNewEvents());
      },
    });
    if (result.reason === 'cancelled') {
      const end = timeline.stopRecording();
      process.stderr.write(`\nhindsight: recording stopped at icount ${end.icount}; ${terminalSafe(out)} holds it\n`);
    } else if (result.reason === 'limit') {
      // --max-insns: the recording ends there as a stopped one, which replays and checks its end (the status still says 124).
      timeline.stopRecording();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    stopReading?.();
    file.events(timeline.takeNewEvents());
  }
  if (timeline.ended) file.end(timeline.ended);
  file.close();
  if (args.flags.has('--stats')) printStats(timeline.icount, performance.now() - started, timeline);
  if (timeline.ended?.reason === STOPPED && result.reason !== 'limit') return 0;
  return statusFor(result, timeline, '--max-insns');
}

export async function cmdReplay(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { '--stats': { value: false }, ...JIT_FLAGS });
  applyJitFlags(args);
  if (args.positional.length !== 1) throw new UsageError('replay needs one recording: hindsight replay <file.hsr>');
  const path = args.positional[0];
  const recording = loadRecording(path);
  const timeline = await openReplay(path, recording);
  timeline.onOutput((bytes, stream) => writeAll(stream === 'stderr' ? 2 : 1, bytes));
  const started = performance.now();
  let result: MotionResult;
  try {
    result = await timeline.continue();
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new CliFailure(EXIT.divergence, `${path}: ${e.message}`);
    throw e;
  }
  if (args.flags.has('--stats')) printStats(timeline.icount, performance.now() - started, timeline);
  if (!recording.end) {
    process.stderr.write(terminalSafe(`hindsight: ${path}: the recording was cut off (${recording.truncation ?? 'no end marker'}); replayed its ${timeline.icount} recorded instructions`) + '\n');
    return EXIT.incomplete;
  }
  if (recording.end.reason === STOPPED && result.reason === 'end') {
    process.stderr.write(`hindsight: replayed to icount ${timeline.icount}, where the recording was stopped; the state there matches\n`);
    return 0;
  }
  return statusFor(result, timeline, '');
}

export function cmdInfo(argv: string[]): number {
  const args = parseArgs(argv, { '--json': { value: false } });
  if (args.positional.length !== 1) throw new UsageError('info needs one recording: hindsight info <file.hsr>');
  const path = args.positional[0];
  const r = loadRecording(path);
  const counts: Record<string, number> = {};
  for (const e of r.events) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
  const last = r.events.length ? r.events[r.events.length - 1].icount : 0n;
  const notes = r.annotations?.notes ?? [];
  const traps = r.annotations?.traps ?? [];
  const info = {
    file: path,
    id: r.id,
    formatVersion: r.version,
    name: r.meta.name,
    recorder: r.meta.recorder,
    host: r.meta.host,
    createdAt: r.meta.createdAt,
    ramMiB: r.meta.ramMiB,
    commandLine: r.meta.commandLine,
    programBytes: r.program.length,
    programSha256: r.meta.programSha256,
    boardRevision: r.boardRevision,
    diskBytes: r.disk?.length ?? 0,
    ...(r.meta.diskSha256 ? { diskSha256: r.meta.diskSha256 } : {}),
    length: (r.end ? r.end.icount : last).toString(),
    complete: r.end !== undefined,
    end: r.end ? { reason: r.end.reason, exitCode: r.end.exitCode, icount: r.end.icount.toString() } : null,
    events: counts,
    fileBytes: r.validLength,
    truncation: r.truncation ?? null,
    snapshotImageBytes: r.snapshot?.length ?? 0,
    notes: notes.map((n) => ({ id: n.id, icount: n.icount.toString(), ...(n.end !== undefined ? { end: n.end.toString() } : {}), text: n.text })),
    breakpoints: traps.filter((t) => t.kind === 'breakpoint').length,
    watchpoints: traps.filter((t) => t.kind === 'watchpoint').length,
    ...(r.annotations?.position ? { savedAt: r.annotations.position.icount.toString() } : {}),
  };
  if (args.flags.has('--json')) {
    process.stdout.write(jsonTerminalSafe(JSON.stringify(info, null, 2)) + '\n');
    return 0;
  }
  const lines = [
    `recording:   ${path} (format ${info.formatVersion}, ${info.fileBytes} bytes)`,
    `id:          ${info.id}`,
    `program:     ${info.name}, ${info.programBytes} bytes, sha256 ${info.programSha256}`,
    `recorded:    ${info.createdAt} by ${info.recorder} (${info.host})`,
    `machine:     ${info.ramMiB} MiB RAM, board revision ${info.boardRevision}, command line "${info.commandLine}"`,
    ...(info.diskSha256 ? [`disk:        ${info.diskBytes} bytes, sha256 ${info.diskSha256}`] : []),
    `length:      ${info.length} instructions`,
    `end:         ${r.end ? `${r.end.reason}${r.end.exitCode !== undefined ? ` with status ${r.end.exitCode}` : ''} at icount ${r.end.icount}` : `none: cut off (${info.truncation ?? 'no end marker'})`}`,
    `events:      ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}`,
    ...(r.annotations ? [`annotations: ${notes.length} note${notes.length === 1 ? '' : 's'}, ${info.breakpoints} breakpoint${info.breakpoints === 1 ? '' : 's'}, ${info.watchpoints} watchpoint${info.watchpoints === 1 ? '' : 's'}${info.savedAt !== undefined ? `, saved at icount ${info.savedAt}` : ''}`] : []),
    ...notes.map((n) => `  note ${n.id} at icount ${n.icount}${n.end !== undefined ? `-${n.end}` : ''}: ${n.text}`),
  ];
  // Every field came from the file: no control character of it reaches the terminal.
  process.stdout.write(lines.map(terminalSafe).join('\n') + '\n');
  return 0;
}

let openedRecording: string | undefined;
let snapshotImagesIgnored = false;

/** The recording the command opened last (for messages about it that come from elsewhere), if any. */
export function openedRecordingPath(): string | undefined {
  return openedRecording;
}

/**
 * From now on, loadRecording drops embedded snapshot images: after one was
 * found damaged, a command that could not go on without it is run again.
 * False if they were dropped already.
 */
export function ignoreSnapshotImages(): boolean {
  if (snapshotImagesIgnored) return false;
  snapshotImagesIgnored = true;
  return true;
}

/**
 * Reads a recording and checks that its machine can exist (RAM size, disk,
 * program loadable): CliFailure with status 1, naming the file, if not.
 */
export function loadRecording(path: string): ParsedRecording {
  openedRecording = path;
  let r: ParsedRecording;
  try {
    r = readRecordingFile(path);
  } catch (e) {
    throw new CliFailure(EXIT.load, (e as Error).message);
  }
  const problem = recordingMachineProblem(r);
  if (problem) throw new CliFailure(EXIT.load, `${path}: ${problem}`);
  if (snapshotImagesIgnored && r.snapshot) {
    const { snapshot: _dropped, ...rest } = r;
    return rest;
  }
  return r;
}

/** A warning about a recording on stderr, terminal-safe. */
export function warn(message: string): void {
  process.stderr.write(`${terminalSafe(`hindsight: warning: ${message}`)}\n`);
}

/**
 * Opens a recording for replay, with the CLI's statuses: a divergence
 * (already at icount 0: another program's log) is status 3 naming the file;
 * a damaged or foreign embedded snapshot image is a warning, and the replay
 * goes on without it; a machine that cannot be built is status 1.
 */
export async function openReplay(path: string, recording: ParsedRecording, given: TimelineOptions = {}): Promise<Timeline> {
  const options: TimelineOptions = { budgetBytes: CLI_SNAPSHOT_BUDGET, ...given };
  try {
    try {
      return await Timeline.replay(loadCoreWasm(), recording, options);
    } catch (e) {
      if (!(e instanceof SnapshotImageError)) throw e;
      warn(`${path}: ignoring its embedded snapshot image: ${e.message}`);
      return await Timeline.replay(loadCoreWasm(), recording, { ...options, useSnapshotImage: false });
    }
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new CliFailure(EXIT.divergence, `${path}: ${e.message}`);
    if (e instanceof MachineError || e instanceof ElfError) throw new CliFailure(EXIT.load, `${path}: ${e.message}`);
    throw e;
  }
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new CliFailure(EXIT.load, `cannot read ${path}: ${(e as Error).message}`);
  }
}

function printStats(icount: bigint, ms: number, timeline: Timeline): void {
  const s = ms / 1000;
  const snaps = timeline.snapshots.stats();
  process.stderr.write(`instructions: ${icount}\nseconds: ${s.toFixed(3)}\nMIPS: ${(Number(icount) / s / 1e6).toFixed(1)}\n` +
    `snapshots: ${snaps.count} (${(snaps.bytes / 1048576).toFixed(1)} MiB)\n` + jitStatsText(timeline.machine.core.jitStats(), icount));
}

function statusFor(result: MotionResult, timeline: Timeline, limitFlag: string): number {
  const where = `at pc 0x${result.pc.toString(16)} (${timeline.machine.symbols.format(Number(result.pc))}), icount ${result.icount}`;
  switch (result.reason) {
    case 'exit': return result.exitCode ?? 0;
    case 'limit':
      process.stderr.write(terminalSafe(`hindsight: stopped after ${result.icount} instructions (${limitFlag}) ${where}`) + '\n');
      return EXIT.limit;
    default:
      process.stderr.write(terminalSafe(`hindsight: ${result.message ?? result.reason} ${where}`) + '\n');
      return EXIT.guestFatal;
  }
}

/**
 * `hindsight snapshots <file.hsr> -o <image.qcow2> [--embed]`: replays the
 * recording once, then writes its snapshots as a qcow2 image, and/or embeds
 * the image in the recording (a SNAP chunk) so opening it need not replay.
 * The image goes to its file cluster by cluster, and is embedded by copying
 * that file in blocks: neither is ever held in memory whole.
 */
export async function cmdSnapshots(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { '-o': { value: true }, '--output': { value: true }, '--embed': { value: false } });
  if (args.positional.length !== 1) throw new UsageError('snapshots needs one recording: hindsight snapshots <file.hsr> -o <image.qcow2> [--embed]');
  const out = (args.flags.get('-o') ?? args.flags.get('--output')) as string | undefined;
  const embed = args.flags.has('--embed');
  if (typeof out !== 'string' && !embed) throw new UsageError('snapshots needs -o <image.qcow2>, --embed, or both');
  const path = args.positional[0];
  const recording = loadRecording(path);
  const timeline = await openReplay(path, recording, { useSnapshotImage: false });
  try {
    await timeline.continue();
  } catch (e) {
    if (e instanceof ReplayDivergence) throw new CliFailure(EXIT.divergence, `${path}: ${e.message}`);
    throw e;
  }
  const scratch = typeof out === 'string' ? undefined : mkdtempSync(join(tmpdir(), 'hindsight-snapshots-'));
  const imagePath = typeof out === 'string' ? out : join(scratch as string, 'image.qcow2');
  try {
    const store = new FileImageStore(imagePath);
    let count: number;
    try {
      count = writeSnapshotImage(timeline, store);
    } finally {
      store.close();
    }
    const imageBytes = statSync(imagePath).size;
    if (embed) {
      const before = statSync(path).size;
      const after = embedImageFile(path, recording, imagePath);
      process.stderr.write(terminalSafe(`hindsight: embedded a ${imageBytes}-byte snapshot image in ${path} (${before} -> ${after} bytes)`) + '\n');
    }
    process.stdout.write(terminalSafe(`${count} snapshots, ${imageBytes} bytes${typeof out === 'string' ? ` written to ${out}` : ''}`) + '\n');
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
  return 0;
}

/**
 * Rewrites the recording at `path` with the image file as its SNAP chunk
 * (before END), into a new file renamed over the old one when complete.
 * Returns the new file's size.
 */
function embedImageFile(path: string, recording: ParsedRecording, imagePath: string): number {
  const temp = `${path}.${process.pid}.tmp`;
  const file = openSync(temp, 'w');
  let size = 0;
  const put = (bytes: Uint8Array) => {
    let off = 0;
    while (off < bytes.length) off += writeSync(file, bytes, off, bytes.length - off);
    size += bytes.length;
  };
  try {
    put(RecordingWriter.start(recording.meta, recording.program, recording.disk, recording.version));
    put(RecordingWriter.events(recording.events));
    if (recording.sources) put(RecordingWriter.sources(recording.sources));
    const image = openSync(imagePath, 'r');
    try {
      const snap = RecordingWriter.snapshotStream(fstatSync(image).size);
      put(snap.header);
      const block = new Uint8Array(1 << 20);
      for (let n; (n = readSync(image, block, 0, block.length, null)) > 0;) {
        const piece = block.subarray(0, n);
        snap.update(piece);
        put(piece);
      }
      put(snap.finish());
    } finally {
      closeSync(image);
    }
    if (recording.end) put(RecordingWriter.end(recording.end, countEvents(recording.events)));
    fsyncSync(file);
  } catch (e) {
    closeSync(file);
    rmSync(temp, { force: true });
    throw e;
  }
  closeSync(file);
  renameSync(temp, path);
  return size;
}
