// Text for numbers, sizes, dates and stops, shared by the panels.
import type { MotionSummary, SessionStatus, TrapInfo } from '../workers/engine-api';

const integer = new Intl.NumberFormat('en-US');

/** "1,234,567" */
export function formatCount(n: number | bigint): string {
  return integer.format(n);
}

export function formatSpeed(instructionsPerSecond: number | undefined): string {
  if (instructionsPerSecond === undefined || !(instructionsPerSecond > 0)) return '';
  if (instructionsPerSecond >= 1e6) return `${(instructionsPerSecond / 1e6).toFixed(0)} M instructions/s`;
  if (instructionsPerSecond >= 1e3) return `${(instructionsPerSecond / 1e3).toFixed(0)} k instructions/s`;
  return `${instructionsPerSecond.toFixed(0)} instructions/s`;
}

/** "12.3 KiB" */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** A compact instruction count: "625.3 M", "65,123". */
export function formatLength(n: number): string {
  if (n >= 10_000_000) return `${(n / 1e6).toFixed(1)} M`;
  return formatCount(n);
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

/** "0x80001234" rather than 16 digits. */
export function shortHex(hex: string): string {
  return '0x' + (hex.replace(/^0x0*/i, '') || '0');
}

/** An address as 8 (or more) hex digits, as objdump prints it. */
export function hexAddress(address: number): string {
  return address.toString(16).padStart(8, '0');
}

/** A 64-bit hex word as signed decimal. */
export function signedDecimal(hex: string): string {
  return formatCount(BigInt.asIntN(64, BigInt(hex)));
}

/** Parses an icount typed by the user: digits, with optional separators (1,234,567 or 1_234_567). */
export function parseIcount(text: string): number | undefined {
  const s = text.trim().replace(/[,_\s]/g, '');
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

export const PRIVILEGE_LONG_NAMES: Record<string, string> = { M: 'machine', S: 'supervisor', U: 'user' };

function trapName(traps: readonly TrapInfo[], id: number | undefined, kind: string): string {
  const trap = traps.find((t) => t.id === id);
  return trap ? `${kind} ${trap.id} (${trap.source ?? trap.label})` : kind;
}

/** Why the last motion stopped, in words. */
export function describeStop(stop: MotionSummary, traps: readonly TrapInfo[], status: SessionStatus): string {
  switch (stop.reason) {
    case 'step':
    case 'limit':
    case 'replay-break':
      return '';
    case 'breakpoint':
      return `stopped at ${trapName(traps, stop.breakpointId, 'breakpoint')}`;
    case 'watchpoint': {
      const w = stop.watch;
      const what = trapName(traps, stop.watchpointId, 'watchpoint');
      if (!w) return `stopped at ${what}`;
      const verb = w.kind === 'write' ? 'written' : 'read';
      const line = w.source ? ` at ${w.source.file.replace(/^.*\//, '')}:${w.source.line}` : '';
      return `${what}: ${w.size} bytes at ${shortHex(w.address.toString(16))} ${verb} by ${w.pcLabel} (${shortHex(w.pc)})${line}: ${shortHex(w.oldValue)} → ${shortHex(w.newValue)}`;
    }
    case 'exit':
      return `the program exited with status ${stop.exitCode ?? status.ended?.exitCode ?? 0}`;
    case 'start':
      return 'at the start of the recording: no more history';
    case 'end':
      return status.ended ? `at the end of the recording (${status.ended.reason})` : 'at the end of the recording so far';
    case 'input':
      return 'the program is waiting for console input';
    case 'idle':
    case 'trap-loop':
    case 'fault':
      return `the program cannot go on: ${stop.message ?? stop.reason}`;
    case 'cancelled':
      return 'paused';
    case 'not-found':
      return stop.message ?? 'that line did not run there';
    case 'stopped':
      return stop.message ? `recording stopped: ${stop.message}` : 'recording stopped';
  }
}

/** "exited with status 1", "stopped", "cut off", for lists. */
export function describeEnd(ended: { reason: string; exitCode?: number } | null): string {
  if (!ended) return 'not finished';
  if (ended.reason === 'exit') return `exited with status ${ended.exitCode ?? 0}`;
  return ended.reason;
}

// ---- floating point ----

/** Whether a 64-bit FP register pattern holds a NaN-boxed single: the upper 32 bits all ones. */
export function isNanBoxed(hex: string): boolean {
  return BigInt(hex) >> 32n === 0xffff_ffffn;
}

function formatFloat(value: number, quietNan: boolean): string {
  if (Number.isNaN(value)) return quietNan ? 'NaN' : 'sNaN';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

/** A 64-bit pattern as a double: the shortest decimal that reads back as it, inf, NaN (quiet) or sNaN. */
export function formatDouble(hex: string): string {
  const bits = BigInt.asUintN(64, BigInt(hex));
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return formatFloat(view.getFloat64(0), ((bits >> 51n) & 1n) === 1n);
}

/** The low 32 bits of a pattern as a single: the shortest decimal that reads back as it. */
export function formatSingle(hex: string): string {
  const bits = Number(BigInt(hex) & 0xffff_ffffn);
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits);
  const value = view.getFloat32(0);
  if (!Number.isFinite(value) || value === 0) return formatFloat(value, ((bits >>> 22) & 1) === 1);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(9)));
}

/** fflags bits, highest first as the specification lists them. */
export const FP_FLAGS: readonly { name: string; bit: number; description: string }[] = [
  { name: 'NV', bit: 4, description: 'invalid operation' },
  { name: 'DZ', bit: 3, description: 'divide by zero' },
  { name: 'OF', bit: 2, description: 'overflow' },
  { name: 'UF', bit: 1, description: 'underflow' },
  { name: 'NX', bit: 0, description: 'inexact' },
];

/** frm values: name and meaning (5 and 6 are reserved; 7, dyn, is only valid in an instruction). */
export const ROUNDING_MODES: readonly { name: string; description: string }[] = [
  { name: 'rne', description: 'round to nearest, ties to even' },
  { name: 'rtz', description: 'round towards zero' },
  { name: 'rdn', description: 'round down, towards −∞' },
  { name: 'rup', description: 'round up, towards +∞' },
  { name: 'rmm', description: 'round to nearest, ties to max magnitude' },
  { name: 'reserved', description: 'reserved rounding mode 5 (instructions that use it are illegal)' },
  { name: 'reserved', description: 'reserved rounding mode 6 (instructions that use it are illegal)' },
  { name: 'invalid', description: 'frm 7 is not a rounding mode (instructions with the dynamic mode are illegal)' },
];

export interface DecodedFcsr {
  fflags: number;
  frm: number;
  /** The accrued exception flags, each with whether it is set. */
  flags: { name: string; description: string; set: boolean }[];
  rounding: { name: string; description: string };
}

/** fcsr = frm << 5 | fflags, decoded. */
export function decodeFcsr(hex: string): DecodedFcsr {
  const v = Number(BigInt(hex) & 0xffn);
  const fflags = v & 0x1f;
  const frm = (v >> 5) & 7;
  return {
    fflags,
    frm,
    flags: FP_FLAGS.map((f) => ({ name: f.name, description: f.description, set: ((fflags >> f.bit) & 1) === 1 })),
    rounding: ROUNDING_MODES[frm],
  };
}
