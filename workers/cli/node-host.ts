// Node-specific pieces of the CLI host: finding the compiled core and reading the terminal.
import { readFileSync, existsSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostInput } from '../engine/host-input';
import type { UartFeeder } from '../engine/uart-feeder';
import { CliFailure, EXIT } from './output';
import { UsageError } from './args';

/** The package root: the nearest folder above this module that holds package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the hindsight package root');
}

export function loadCoreWasm(flavour: 'release' | 'debug' = 'release'): Uint8Array {
  const path = join(packageRoot(), 'build', `core.${flavour}.wasm`);
  if (!existsSync(path)) {
    throw new Error(`the CPU core is not built (${join('build', `core.${flavour}.wasm`)} is missing): run "npm install" or "npm run build:core"`);
  }
  return readFileSync(path);
}

/** Console input read from the process's stdin when the guest asks for it (blocking, like a terminal). */
export class StdinInput implements HostInput {
  private ended = false;
  readConsole(max: number): Uint8Array {
    if (this.ended) return new Uint8Array(0);
    const buf = Buffer.alloc(Math.min(max, 65536));
    for (;;) {
      try {
        const n = readSync(0, buf, 0, buf.length, null);
        if (n === 0) this.ended = true;
        return new Uint8Array(buf.subarray(0, n));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EOF' || code === 'EBADF' || code === 'EINVAL') { this.ended = true; return new Uint8Array(0); }
        throw e;
      }
    }
  }
  wallClockSeconds(): number { return Math.floor(Date.now() / 1000); }
}

/** Feeds this process's stdin to the guest's UART as it arrives (--console uart). Returns a function that stops reading it. */
export function streamStdinTo(feeder: UartFeeder): () => void {
  const onData = (d: Buffer) => feeder.push(new Uint8Array(d));
  process.stdin.on('data', onData);
  process.stdin.on('error', () => { /* a closed or unreadable stdin is end of input */ });
  process.stdin.resume();
  return () => { process.stdin.off('data', onData); process.stdin.pause(); };
}

/** A raw disk image for --disk: read whole, a whole number of 512-byte sectors. */
export function readDiskImage(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new CliFailure(EXIT.load, `cannot read the disk image ${path}: ${(e as Error).message}`);
  }
  if (bytes.length === 0 || bytes.length % 512 !== 0) {
    throw new CliFailure(EXIT.load, `${path}: a disk image must be a whole number of 512-byte sectors, and this one is ${bytes.length} bytes`);
  }
  return bytes;
}

/** Parses --console: where the guest's console input comes from. */
export function consoleFlag(value: string | boolean | undefined): 'semihosting' | 'uart' {
  if (value === undefined) return 'semihosting';
  if (value === 'uart' || value === 'semihosting') return value;
  throw new UsageError(`--console must be "semihosting" or "uart", not "${String(value)}"`);
}

/**
 * Snapshot memory for the command's timelines: with it, a guest of R MiB
 * costs the host about R MiB plus this plus Node's own ~60 MiB
 * (docs/time-travel.md). Snapshots that do not fit are not taken; seeks
 * then replay further.
 */
export const CLI_SNAPSHOT_BUDGET = 64 * 1024 * 1024;
