// A small, strict command-line parser: unknown flags and missing values are errors.
import { setJitDefault } from '../engine/machine';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Takes a value (`--ram 64`) or is a switch (`--stats`). */
  value: boolean;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('-') && a !== '-') {
      const [name, inline] = a.split('=', 2) as [string, string | undefined];
      const s = spec[name];
      if (!s) throw new UsageError(`unknown option ${name}`);
      if (s.value) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`option ${name} needs a value`);
        flags.set(name, v);
      } else {
        if (inline !== undefined) throw new UsageError(`option ${name} takes no value`);
        flags.set(name, true);
      }
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

export function integerFlag(args: ParsedArgs, name: string, min: bigint, max: bigint): bigint | undefined {
  const v = args.flags.get(name);
  if (v === undefined) return undefined;
  if (v === true || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v.replace(/_/g, ''))) throw new UsageError(`${name} needs a whole number, not "${String(v)}"`);
  const n = BigInt(v.replace(/_/g, ''));
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}`);
  return n;
}

/** The flags that configure several harts: --smp N, --quantum N, --schedule-seed N (run, record, gdbserver). */
export const HART_FLAGS = { '--smp': { value: true }, '--quantum': { value: true }, '--schedule-seed': { value: true } } as const;

/** --no-jit (interpret every instruction) and --jit (translate hot code, the default): run, record, replay, debug, gdbserver. */
export const JIT_FLAGS = { '--no-jit': { value: false }, '--jit': { value: false } } as const;

/** Applies --no-jit / --jit to every machine the command makes (they change speed only, never a result). */
export function applyJitFlags(args: ParsedArgs): void {
  if (args.flags.has('--no-jit') && args.flags.has('--jit')) throw new UsageError('--jit and --no-jit cannot be used together');
  if (args.flags.has('--no-jit')) setJitDefault(false);
  if (args.flags.has('--jit')) setJitDefault(true);
}

/** The harts the flags ask for, or undefined for the one-hart machine. */
export function hartsFlags(args: ParsedArgs): { count: number; quantum: number; seed: number } | undefined {
  const count = integerFlag(args, '--smp', 1n, 8n);
  const quantum = integerFlag(args, '--quantum', 1n, 1_000_000_000n);
  const seed = integerFlag(args, '--schedule-seed', 0n, BigInt(Number.MAX_SAFE_INTEGER));
  if (count === undefined && (quantum !== undefined || seed !== undefined)) throw new UsageError('--quantum and --schedule-seed need --smp N');
  if (count === undefined || count === 1n) return undefined;
  return { count: Number(count), quantum: Number(quantum ?? 10_000n), seed: Number(seed ?? 0n) };
}
