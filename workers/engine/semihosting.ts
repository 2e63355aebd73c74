// RISC-V semihosting (the ARM operation set), sandboxed: the console and the
// ":semihosting-features" file exist, nothing else. Handle numbering and return
// values follow QEMU so that register traces match it.
import type { HostInput } from './host-input';

export interface SemihostingMemory {
  /** Reads guest memory; undefined if any byte is outside RAM. */
  read(addr: bigint, length: number): Uint8Array | undefined;
  write(addr: bigint, bytes: Uint8Array): boolean;
}

export type HostCallOutcome =
  | { kind: 'done'; result: bigint }
  | { kind: 'exit'; code: number }
  | { kind: 'wait-input' }
  | { kind: 'fatal'; message: string };

export type ConsoleStream = 'stdout' | 'stderr';

const SYS = {
  OPEN: 0x01, CLOSE: 0x02, WRITEC: 0x03, WRITE0: 0x04, WRITE: 0x05, READ: 0x06, READC: 0x07, ISERROR: 0x08,
  ISTTY: 0x09, SEEK: 0x0a, FLEN: 0x0c, TMPNAM: 0x0d, REMOVE: 0x0e, RENAME: 0x0f, CLOCK: 0x10, TIME: 0x11,
  SYSTEM: 0x12, ERRNO: 0x13, GET_CMDLINE: 0x15, HEAPINFO: 0x16, EXIT: 0x18, EXIT_EXTENDED: 0x20, ELAPSED: 0x30,
  TICKFREQ: 0x31,
} as const;

const ADP_STOPPED_APPLICATION_EXIT = 0x20026n;
const EBADF = 9;
const ENOENT = 2;
const EFAULT = 14;
const E2BIG = 7;
const ENOSYS = 38;
const MINUS_ONE = 0xffffffffffffffffn;
/** What QEMU leaves in a0 after calls that return nothing (WRITEC, WRITE0). */
const NO_RESULT = 0xdeadbeefn;
/** "SHFB" + features: bit 0 SYS_EXIT_EXTENDED, bit 1 separate stdout/stderr on ":tt". */
const FEATURES = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0x03);
const MAX_STRING = 4096;
const MAX_TRANSFER = 1 << 20;

type Handle =
  | { kind: 'console'; stream: 'stdin' | ConsoleStream }
  | { kind: 'features'; position: number };

export class Semihosting {
  /** Index = guest handle; QEMU hands out the lowest free number starting at 1. */
  private handles: (Handle | undefined)[] = [undefined];
  private errno = 0;

  constructor(
    private readonly input: HostInput,
    private readonly output: (bytes: Uint8Array, stream: ConsoleStream) => void,
    /** What SYS_GET_CMDLINE returns; QEMU passes the -kernel file name. */
    private readonly commandLine: string = '',
  ) {}

  /** Performs operation `op` with parameter `param`; `virtualNs` is the guest's virtual time. */
  call(op: number, param: bigint, memory: SemihostingMemory, virtualNs: bigint): HostCallOutcome {
    const word = (i: number): bigint | undefined => {
      const b = memory.read(param + BigInt(i * 8), 8);
      return b && new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
    };
    const args = (n: number): bigint[] | undefined => {
      const out: bigint[] = [];
      for (let i = 0; i < n; i++) { const w = word(i); if (w === undefined) return undefined; out.push(w); }
      return out;
    };
    const fail = (errno: number): HostCallOutcome => { this.errno = errno; return { kind: 'done', result: MINUS_ONE }; };
    const done = (result: bigint | number): HostCallOutcome => ({ kind: 'done', result: BigInt.asUintN(64, BigInt(result)) });

    switch (op) {
      case SYS.OPEN: {
        const a = args(3);
        if (!a) return fail(EFAULT);
        const [namePtr, mode, length] = a;
        if (length > BigInt(MAX_STRING)) return fail(ENOENT);
        const nameBytes = memory.read(namePtr, Number(length));
        if (!nameBytes) return fail(EFAULT);
        const name = new TextDecoder().decode(nameBytes);
        let handle: Handle;
        if (name === ':tt') {
          handle = { kind: 'console', stream: mode < 4n ? 'stdin' : mode < 8n ? 'stdout' : 'stderr' };
        } else if (name === ':semihosting-features' && mode < 4n) {
          handle = { kind: 'features', position: 0 };
        } else {
          return fail(ENOENT); // sandbox: no host file is ever opened
        }
        return done(this.allocate(handle));
      }
      case SYS.CLOSE: {
        const a = args(1);
        if (!a) return fail(EFAULT);
        const h = this.lookup(a[0]);
        if (!h) return fail(EBADF);
        this.handles[Number(a[0])] = undefined;
        return done(0);
      }
      case SYS.WRITEC: {
        const b = memory.read(param, 1);
        if (!b) return fail(EFAULT);
        this.output(b, 'stdout');
        return done(NO_RESULT);
      }
      case SYS.WRITE0: {
        const bytes: number[] = [];
        for (let i = 0; i < MAX_TRANSFER; i++) {
          const b = memory.read(param + BigInt(i), 1);
          if (!b) return fail(EFAULT);
          if (b[0] === 0) break;
          bytes.push(b[0]);
        }
        this.output(Uint8Array.from(bytes), 'stdout');
        return done(NO_RESULT);
      }
      case SYS.WRITE: {
        const a = args(3);
        if (!a) return fail(EFAULT);
        const [handle, buffer, length] = a;
        const h = this.lookup(handle);
        if (!h) return fail(EBADF);
        if (h.kind !== 'console' || h.stream === 'stdin') return done(length);
        const n = length > BigInt(MAX_TRANSFER) ? MAX_TRANSFER : Number(length);
        const bytes = memory.read(buffer, n);
        if (!bytes) return fail(EFAULT);
        this.output(bytes, h.stream);
        return done(length - BigInt(n));
      }
      case SYS.READ: {
        const a = args(3);
        if (!a) return fail(EFAULT);
        const [handle, buffer, length] = a;
        const h = this.lookup(handle);
        if (!h) return fail(EBADF);
        const want = length > BigInt(MAX_TRANSFER) ? MAX_TRANSFER : Number(length);
        let bytes: Uint8Array;
        if (h.kind === 'features') {
          bytes = FEATURES.slice(h.position, h.position + want);
          h.position += bytes.length;
        } else {
          if (h.stream !== 'stdin') return done(length);
          if (want === 0) return done(0);
          const got = this.input.readConsole(want);
          if (got === null) return { kind: 'wait-input' };
          bytes = got.slice(0, want);
        }
        if (!memory.write(buffer, bytes)) return fail(EFAULT);
        return done(length - BigInt(bytes.length));
      }
      case SYS.READC: {
        const got = this.input.readConsole(1);
        if (got === null) return { kind: 'wait-input' };
        return done(got.length === 0 ? MINUS_ONE : got[0]);
      }
      case SYS.ISERROR: {
        const a = args(1);
        if (!a) return fail(EFAULT);
        return done(BigInt.asIntN(64, a[0]) < 0n ? 1 : 0);
      }
      case SYS.ISTTY: {
        const a = args(1);
        if (!a) return fail(EFAULT);
        const h = this.lookup(a[0]);
        if (!h) return fail(EBADF);
        return done(h.kind === 'console' ? 1 : 0);
      }
      case SYS.SEEK: {
        const a = args(2);
        if (!a) return fail(EFAULT);
        const h = this.lookup(a[0]);
        if (!h) return fail(EBADF);
        if (h.kind !== 'features') return fail(EBADF);
        h.position = Number(a[1] > 5n ? 5n : a[1]);
        return done(0);
      }
      case SYS.FLEN: {
        const a = args(1);
        if (!a) return fail(EFAULT);
        const h = this.lookup(a[0]);
        if (!h) return fail(EBADF);
        return h.kind === 'features' ? done(FEATURES.length) : done(0);
      }
      case SYS.CLOCK:
        // Centiseconds of virtual time: deterministic, unlike QEMU's host CPU time.
        return done(virtualNs / 10_000_000n);
      case SYS.TIME:
        return done(BigInt(Math.floor(this.input.wallClockSeconds())));
      case SYS.ERRNO:
        return done(this.errno);
      case SYS.GET_CMDLINE: {
        const a = args(2);
        if (!a) return fail(EFAULT);
        const text = new TextEncoder().encode(this.commandLine);
        if (BigInt(text.length + 1) > a[1]) return fail(E2BIG);
        const withNul = new Uint8Array(text.length + 1);
        withNul.set(text);
        if (!memory.write(a[0], withNul) || !memory.write(param + 8n, bigintBytes(BigInt(text.length)))) return fail(EFAULT);
        return done(0);
      }
      case SYS.HEAPINFO: {
        const a = args(1);
        if (!a) return fail(EFAULT);
        // Zeros tell the C library to use its own linker-defined heap and stack.
        if (!memory.write(a[0], new Uint8Array(32))) return fail(EFAULT);
        return done(0);
      }
      case SYS.EXIT:
      case SYS.EXIT_EXTENDED: {
        const a = args(2);
        if (!a) return { kind: 'fatal', message: `semihosting exit: parameter block at 0x${param.toString(16)} is not in RAM` };
        const code = a[0] === ADP_STOPPED_APPLICATION_EXIT ? Number(a[1] & 0xffn) : 1;
        return { kind: 'exit', code };
      }
      case SYS.ELAPSED: {
        if (!memory.write(param, bigintBytes(virtualNs))) return fail(EFAULT);
        return done(0);
      }
      case SYS.TICKFREQ:
        return done(1_000_000_000);
      case SYS.TMPNAM:
      case SYS.REMOVE:
      case SYS.RENAME:
      case SYS.SYSTEM:
        return fail(ENOSYS);
      default:
        return { kind: 'fatal', message: `unsupported semihosting operation 0x${op.toString(16)}` };
    }
  }

  private allocate(handle: Handle): number {
    for (let i = 1; i < this.handles.length; i++) {
      if (this.handles[i] === undefined) { this.handles[i] = handle; return i; }
    }
    this.handles.push(handle);
    return this.handles.length - 1;
  }

  private lookup(handle: bigint): Handle | undefined {
    if (handle <= 0n || handle >= BigInt(this.handles.length)) return undefined;
    return this.handles[Number(handle)];
  }

  /** State that a snapshot must carry (open handles, errno). */
  saveState(): SemihostingState {
    return { handles: this.handles.map((h) => (h ? { ...h } : null)), errno: this.errno };
  }
  loadState(s: SemihostingState): void {
    this.handles = s.handles.map((h) => (h ? { ...h } : undefined));
    this.errno = s.errno;
  }
}

export interface SemihostingState {
  handles: ({ kind: 'console'; stream: 'stdin' | ConsoleStream } | { kind: 'features'; position: number } | null)[];
  errno: number;
}

function bigintBytes(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}
