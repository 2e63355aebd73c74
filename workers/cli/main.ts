// The `hindsight` command: the engine, hosted in Node.
import { readFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { cmdRecord, cmdReplay, cmdInfo, cmdSnapshots, openedRecordingPath, ignoreSnapshotImages, warn } from './record-replay';
import { ReplayDivergence } from '../replay/timeline';
import { SnapshotImageError } from '../replay/snapshot-image';
import { cmdDebug } from './debug';
import { cmdVerify } from './verify';
import { writeAll, CliFailure, EXIT, terminalSafe } from './output';
import { Machine, MachineError, type Stop } from '../engine/machine';
import { UartFeeder } from '../engine/uart-feeder';
import { BufferedInput } from '../engine/host-input';
import type { HostInput } from '../engine/host-input';
import { traceRun, formatTraceStep } from '../engine/trace';
import { ElfError } from '../formats/elf';
import { DEFAULT_RAM_MIB, MAX_RAM_MIB } from '../engine/memory-map';
import { loadCoreWasm, StdinInput, streamStdinTo, readDiskImage, consoleFlag } from './node-host';
import { jitStatsText } from './jit-stats';
import { parseArgs, integerFlag, UsageError, HART_FLAGS, hartsFlags, JIT_FLAGS, applyJitFlags } from './args';
import { serveIfHistoryWorker } from './history-workers';

const HELP = `hindsight: a time-travel debugger for RISC-V programs

Usage:
  hindsight run <prog.elf> [options]          run a RISC-V ELF on the emulated virt board
  hindsight record <prog.elf> -o <file.hsr>   run it and record everything it received [--stdin FILE] [--ram MiB] [--max-insns N] [--stats]
                                              [--disk IMG] [--console uart] [--smp N]; Ctrl-C stops recording and keeps the file
  hindsight replay <file.hsr> [--stats]       replay a recording: same output, same exit status, checked as it goes
  hindsight info <file.hsr> [--json]          what a recording holds
  hindsight verify <file.hsr>                 check a recording from someone else: its chunks, its machine, its
                                              embedded snapshots (each against the log's digest) and a full replay;
                                              one line per problem, then a verdict (0 ok, 1 malformed, 3 diverged, 4 cut off)
  hindsight snapshots <file.hsr> -o <image.qcow2> [--embed]
                                              write the recording's snapshots as a qcow2 image (qemu-img reads it);
                                              --embed stores the image in the recording, so opening it needs no replay
  hindsight debug <file.hsr>                  travel through a recording at a prompt (reads commands from stdin)
  hindsight gdbserver <file.hsr|prog.elf>     serve GDB's remote protocol with reverse execution [--port N] [--host ADDR] [--smp N]
  hindsight serve <file.hsr>                  serve the web app and the recording, and print a link that opens it
                                              in a browser [--port N (4180)] [--host ADDR (loopback)] [--app DIR]

Options for run:
  --ram MiB          guest RAM size (default ${DEFAULT_RAM_MIB}, up to ${MAX_RAM_MIB})
  --disk IMG         a raw disk image for the virtio block device (virtio-mmio-bus.0), as QEMU's
                     -drive file=IMG,format=raw -device virtio-blk-device; changes stay in memory
  --console uart     console input goes to the UART (an OS console) rather than to semihosting reads:
                     stdin is passed on a line at a time as the guest's driver takes it
  --smp N            N harts (1..8), as QEMU's -smp N: they run in turn, in quanta of instructions
  --quantum N        instructions per turn (default 10000)
  --schedule-seed N  turn lengths drawn around the quantum from seed N (0: fixed), to shake out races;
                     the schedule is part of the recording, so each seed's run replays exactly
  --max-insns N      stop with an error after N instructions
  --stdin FILE       console input for the guest (default: this process's stdin)
  --stats            print instructions retired, seconds, MIPS and the translation counters to stderr
  --no-jit           interpret every instruction: no translation of hot code to WebAssembly (run, record, replay, debug, gdbserver; results are the same, only speed differs)
  --trace FILE       write one line per instruction: icount, pc, instruction, changed registers

  -h, --help         show this help
  --version          show the version

Exit status: the guest's exit status; 124 if --max-insns was reached;
125 if the guest cannot go on (trap loop, idle forever, unsupported request);
2 for usage errors; 1 if a file cannot be read or is malformed (a recording whose machine
cannot exist included); 3 if a replay diverged from its recording (its digests, output or
end); 4 if a recording was cut off. A damaged embedded snapshot image is only a warning.
`;

const EXIT_LIMIT = EXIT.limit;
const EXIT_GUEST_FATAL = EXIT.guestFatal;
const EXIT_USAGE = EXIT.usage;
const EXIT_LOAD = EXIT.load;

function fail(status: number, message: string): never {
  // Messages carry file names, and text from files and the guest: never control characters.
  process.stderr.write(`hindsight: ${terminalSafe(message)}\n`);
  process.exit(status);
}

async function cmdRun(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    '--ram': { value: true }, '--max-insns': { value: true }, '--stdin': { value: true },
    '--stats': { value: false }, '--trace': { value: true }, '--disk': { value: true }, '--console': { value: true }, ...HART_FLAGS, ...JIT_FLAGS,
  });
  applyJitFlags(args);
  if (args.positional.length !== 1) throw new UsageError('run needs exactly one program: hindsight run <prog.elf>');
  const ramMiB = Number(integerFlag(args, '--ram', 1n, BigInt(MAX_RAM_MIB)) ?? BigInt(DEFAULT_RAM_MIB));
  const harts = hartsFlags(args);
  const maxInsns = integerFlag(args, '--max-insns', 1n, (1n << 62n));
  const stdinPath = args.flags.get('--stdin');
  const tracePath = args.flags.get('--trace');
  const consoleMode = consoleFlag(args.flags.get('--console'));
  if (consoleMode === 'uart' && typeof tracePath === 'string') throw new UsageError('--trace and --console uart cannot be used together');
  const diskPath = args.flags.get('--disk');
  const disk = typeof diskPath === 'string' ? readDiskImage(diskPath) : undefined;

  const path = args.positional[0];
  let elf: Uint8Array;
  try { elf = readFileSync(path); } catch (e) { fail(EXIT_LOAD, `cannot read ${path}: ${(e as Error).message}`); }
  let input: HostInput;
  let script: Uint8Array | undefined;
  if (typeof stdinPath === 'string') {
    try { script = readFileSync(stdinPath); } catch (e) { fail(EXIT_LOAD, `cannot read ${stdinPath}: ${(e as Error).message}`); }
  }
  if (consoleMode === 'uart') input = new BufferedInput(new Uint8Array(0));
  else input = script ? new BufferedInput(script) : new StdinInput();

  let machine: Machine;
  try {
    machine = await Machine.create(loadCoreWasm(), input, { ramMiB, commandLine: path, ...(disk ? { disk } : {}), ...(harts ? { harts } : {}) });
  } catch (e) {
    if (e instanceof MachineError) fail(EXIT_LOAD, e.message);
    throw e;
  }
  try {
    machine.load(elf);
  } catch (e) {
    if (e instanceof ElfError) fail(EXIT_LOAD, `${path}: ${e.message}`);
    throw e;
  }
  machine.onOutput((bytes, stream) => writeAll(stream === 'stderr' ? 2 : 1, bytes));

  const limit = maxInsns ?? (1n << 62n);
  const started = performance.now();
  let stop: Stop;
  if (typeof tracePath === 'string') {
    const fd = openSync(tracePath, 'w');
    // Written as it goes (in batches, at least every 100 ms), so a run that is
    // killed or never ends leaves its trace up to that point.
    let pending: string[] = [];
    let flushedAt = performance.now();
    stop = traceRun(machine, limit, (s) => {
      pending.push(formatTraceStep(s));
      if (pending.length >= 4096 || (pending.length % 64 === 0 && performance.now() - flushedAt >= 100)) {
        writeSync(fd, pending.join('\n') + '\n');
        pending = [];
        flushedAt = performance.now();
      }
    });
    if (pending.length) writeSync(fd, pending.join('\n') + '\n');
    closeSync(fd);
  } else if (consoleMode === 'uart') {
    stop = await runWithUartConsole(machine, limit, script);
  } else {
    stop = machine.run(limit);
  }
  const seconds = (performance.now() - started) / 1000;
  if (args.flags.has('--stats')) {
    const n = machine.icount;
    process.stderr.write(`instructions: ${n}\nseconds: ${seconds.toFixed(3)}\nMIPS: ${(Number(n) / seconds / 1e6).toFixed(1)}\n${jitStatsText(machine.core.jitStats(), n)}`);
  }
  return exitStatusFor(stop, machine);
}

/**
 * Runs in slices, giving the event loop a turn between them so stdin can reach
 * the UART. With a script (--stdin FILE), its lines go to the UART by the same
 * rule, at slice boundaries only, so the run is the same every time.
 */
async function runWithUartConsole(machine: Machine, limit: bigint, script?: Uint8Array): Promise<Stop> {
  const feeder = new UartFeeder();
  const sink = { machine, sendUartInput: (b: Uint8Array) => machine.sendUartInput(b) };
  if (script) feeder.push(script);
  const stopReading = script ? () => {} : streamStdinTo(feeder);
  try {
    for (;;) {
      feeder.deliver(sink);
      const left = limit - machine.icount;
      const stop = machine.run(left < UART_SLICE ? left : UART_SLICE);
      if (stop.reason !== 'budget' || machine.icount >= limit) return stop;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    stopReading();
  }
}

/** About 20 ms of guest time: input typed at the terminal reaches the guest that soon. */
const UART_SLICE = 2_000_000n;

function exitStatusFor(stop: Stop, machine: Machine): number {
  const where = `at pc 0x${stop.pc.toString(16)} (${machine.symbols.format(Number(stop.pc))}), icount ${stop.icount}`;
  switch (stop.reason) {
    case 'exit':
      return stop.exitCode ?? 0;
    case 'budget':
      process.stderr.write(`hindsight: stopped after ${stop.icount} instructions (--max-insns) ${where}\n`);
      return EXIT_LIMIT;
    case 'input':
      process.stderr.write(`hindsight: the guest waits for console input that will never come ${where}\n`);
      return EXIT_GUEST_FATAL;
    default:
      process.stderr.write(`hindsight: ${stop.message ?? stop.reason} ${where}\n`);
      return EXIT_GUEST_FATAL;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command === '--version') { process.stdout.write('hindsight 0.1.0\n'); return 0; }
  try {
    switch (command) {
      case 'run': return await cmdRun(rest);
      case 'record': return await cmdRecord(rest);
      case 'replay': return await cmdReplay(rest);
      case 'info': return cmdInfo(rest);
      case 'verify': return await cmdVerify(rest);
      case 'snapshots': return await cmdSnapshots(rest);
      case 'debug': return await cmdDebug(rest);
      case 'gdbserver': return await (await import('./gdbserver')).cmdGdbserver(rest);
      case 'serve': return await (await import('./serve')).cmdServe(rest);
      default: throw new UsageError(`unknown command "${command}" (try hindsight --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) fail(EXIT_USAGE, e.message);
    if (e instanceof CliFailure) fail(e.status, e.message);
    const recording = openedRecordingPath();
    if (e instanceof ReplayDivergence) fail(EXIT.divergence, `${recording ?? 'replay'}: ${e.message}`);
    if (e instanceof SnapshotImageError && recording !== undefined && ignoreSnapshotImages()) {
      // A command that opened the recording without handling its damaged image: once more, without it.
      warn(`${recording}: ignoring its embedded snapshot image: ${e.message}`);
      return main(argv);
    }
    throw e;
  }
}

if (!serveIfHistoryWorker()) {
  main(process.argv.slice(2)).then(
    (status) => { process.exitCode = status; },
    (e: unknown) => { fail(EXIT_GUEST_FATAL, e instanceof Error ? e.message : String(e)); },
  );
}
