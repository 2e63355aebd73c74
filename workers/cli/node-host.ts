// Node-specific pieces of the CLI host: finding the compiled core and reading the terminal.
import { readFileSync, existsSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostInput } from '../engine/host-input';

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
