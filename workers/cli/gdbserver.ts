// `hindsight gdbserver <recording.hsr|prog.elf>`: GDB's remote protocol over
// TCP, with reverse execution. The protocol and the mapping onto the Timeline
// live in workers/gdb (no Node there); this file is the transport: one client
// at a time, later ones wait their turn.
import { createServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Timeline } from '../replay/timeline';
import { BufferedInput, type HostInput } from '../engine/host-input';
import { ElfError } from '../formats/elf';
import { MachineError } from '../engine/machine';
import { RECORDING_MAGIC } from '../formats/recording';
import { DEFAULT_RAM_MIB, MAX_RAM_MIB } from '../engine/memory-map';
import { GdbSession } from '../gdb/session';
import { loadCoreWasm, StdinInput, CLI_SNAPSHOT_BUDGET } from './node-host';
import { parseArgs, integerFlag, UsageError, HART_FLAGS, hartsFlags, JIT_FLAGS, applyJitFlags } from './args';
import { loadRecording } from './record-replay';
import { writeAll, CliFailure, EXIT } from './output';
import { isLoopback, listenOn, localAddress } from './listen';

const DEFAULT_PORT = 1234;

export async function cmdGdbserver(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    '--port': { value: true }, '--host': { value: true }, '--stdin': { value: true }, '--ram': { value: true }, ...HART_FLAGS, ...JIT_FLAGS,
  });
  applyJitFlags(args);
  if (args.positional.length !== 1) throw new UsageError('gdbserver needs one recording or program: hindsight gdbserver <file.hsr|prog.elf> [--port N] [--host ADDR]');
  const port = Number(integerFlag(args, '--port', 0n, 65535n) ?? BigInt(DEFAULT_PORT));
  const hostFlag = args.flags.get('--host');
  if (hostFlag === true || hostFlag === '') throw new UsageError('--host needs an address');
  const host = hostFlag ?? '127.0.0.1';
  const path = args.positional[0];
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch (e) { throw new CliFailure(EXIT.load, `cannot read ${path}: ${(e as Error).message}`); }
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;

  let timeline: Timeline;
  if (isElf) {
    const ramMiB = Number(integerFlag(args, '--ram', 1n, BigInt(MAX_RAM_MIB)) ?? BigInt(DEFAULT_RAM_MIB));
    const harts = hartsFlags(args);
    const stdinPath = args.flags.get('--stdin');
    let live: HostInput;
    if (typeof stdinPath === 'string') {
      try { live = new BufferedInput(readFileSync(stdinPath)); } catch (e) { throw new CliFailure(EXIT.load, `cannot read ${stdinPath}: ${(e as Error).message}`); }
    } else {
      live = new StdinInput();
    }
    try {
      timeline = await Timeline.record(loadCoreWasm(), bytes, path, { ramMiB, commandLine: path, ...(harts ? { harts } : {}) }, live, 'cli', { budgetBytes: CLI_SNAPSHOT_BUDGET });
    } catch (e) {
      if (e instanceof ElfError) throw new CliFailure(EXIT.load, `${path}: ${e.message}`);
      if (e instanceof MachineError) throw new CliFailure(EXIT.load, e.message);
      throw e;
    }
  } else {
    if (!RECORDING_MAGIC.every((b, i) => bytes[i] === b)) throw new CliFailure(EXIT.load, `${path} is neither an ELF program nor a Hindsight recording`);
    if (['--ram', '--stdin', '--smp', '--quantum', '--schedule-seed'].some((f) => args.flags.has(f))) {
      throw new UsageError('--ram, --stdin, --smp, --quantum and --schedule-seed apply to a program; a recording keeps its own');
    }
    timeline = await Timeline.replay(loadCoreWasm(), loadRecording(path), { budgetBytes: CLI_SNAPSHOT_BUDGET });
  }
  timeline.onOutput((out, stream) => writeAll(stream === 'stderr' ? 2 : 1, out));

  const log = (message: string) => process.stderr.write(`hindsight gdbserver: ${message}\n`);
  const server = createServer({ pauseOnConnect: true });
  const actualPort = await listenOn(server, host, port);
  server.on('error', (e) => log(`server error: ${e.message}`));
  // Listening on every interface: from this machine, GDB connects to the loopback address.
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  const hostForGdb = localAddress(host);
  if (!isLoopback(host)) {
    process.stderr.write(`hindsight gdbserver: warning: listening on ${host}, not on the loopback interface: anyone who can reach ` +
      'this address can connect, read the program\'s memory and drive it. The protocol has no authentication.\n');
  }
  const info = timeline.info();
  const what = isElf
    ? `recording ${basename(path)} as it runs (reverse execution covers what has run so far)`
    : `replaying ${basename(path)}: ${info.length} instructions${info.ended ? `, ends with ${info.ended.reason}${info.ended.exitCode !== undefined ? ` ${info.ended.exitCode}` : ''}` : ''}`;
  process.stdout.write(`hindsight gdbserver: ${what}\nListening on ${bracket(host)}:${actualPort}. In gdb:\n  target remote ${hostForGdb}:${actualPort}\n`);

  const waiting: Socket[] = [];
  let busy = false;
  const serveNext = () => {
    busy = false;
    for (let next = waiting.shift(); next; next = waiting.shift()) {
      if (!next.destroyed) { serve(next); return; }
    }
  };
  const serve = (sock: Socket) => {
    busy = true;
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    log(`client ${peer} connected`);
    let open = true;
    const session = new GdbSession(timeline, {
      send: (data) => { if (open && !sock.destroyed) sock.write(data); },
      close: () => {
        if (!open) return;
        open = false;
        sock.end(() => sock.destroy());
        setTimeout(() => sock.destroy(), 2000).unref();
      },
      log,
    }, { file: basename(path) });
    sock.on('data', (chunk: Buffer) => session.receive(chunk));
    sock.once('close', () => { open = false; session.disconnect(); });
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 10_000);
    void session.finished.then(() => {
      log(`client ${peer} disconnected (icount ${timeline.icount})`);
      serveNext();
    });
    sock.resume();
  };
  server.on('connection', (sock: Socket) => {
    sock.on('error', (e) => log(`connection error: ${e.message}`));
    if (busy) {
      log(`another client is connected: ${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'} waits its turn`);
      waiting.push(sock);
      sock.once('close', () => { const i = waiting.indexOf(sock); if (i >= 0) waiting.splice(i, 1); });
      return;
    }
    serve(sock);
  });

  // Serve until the process is stopped.
  return new Promise<number>((resolve) => {
    const stop = () => { server.close(); resolve(0); process.exit(0); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

