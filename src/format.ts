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
