// Text for numbers, speeds and stops, shared by the status line and the state panel.
import type { RunStopReason, StopInfo } from '../workers/engine-api';

const integer = new Intl.NumberFormat('en-US');

/** "1,234,567" from a decimal string or a number. */
export function formatCount(n: string | number | bigint): string {
  return integer.format(typeof n === 'string' ? BigInt(n) : n);
}

export function formatSpeed(instructionsPerSecond: number): string {
  if (!(instructionsPerSecond > 0)) return '';
  if (instructionsPerSecond >= 1e6) return `${(instructionsPerSecond / 1e6).toFixed(1)} M instructions/s`;
  if (instructionsPerSecond >= 1e3) return `${(instructionsPerSecond / 1e3).toFixed(1)} k instructions/s`;
  return `${instructionsPerSecond.toFixed(0)} instructions/s`;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A compact hex value: "0x80001234" rather than 16 digits. */
export function shortHex(hex: string): string {
  return '0x' + (hex.replace(/^0x0*/, '') || '0');
}

const REASONS: Record<RunStopReason, string> = {
  budget: 'instruction limit reached',
  breakpoint: 'breakpoint',
  watchpoint: 'watchpoint',
  exit: 'exited',
  idle: 'idle',
  input: 'waiting for console input',
  'trap-loop': 'trap loop',
  fault: 'fault',
  paused: 'paused',
};

/** "exited with status 0", "stopped: instruction limit reached", "paused", ... */
export function describeStop(stop: StopInfo): string {
  if (stop.reason === 'exit') return `exited with status ${stop.exitCode ?? 0}`;
  if (stop.reason === 'paused') return `paused at pc ${shortHex(stop.pc)}`;
  const detail = stop.message ? ` (${stop.message})` : '';
  return `stopped: ${REASONS[stop.reason]}${detail} at pc ${shortHex(stop.pc)}`;
}

export const PRIVILEGE_LONG_NAMES: Record<string, string> = { M: 'machine', S: 'supervisor', U: 'user' };
