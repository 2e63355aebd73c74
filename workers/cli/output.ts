// Shared pieces of the CLI: exit statuses, failures, writing to stdout/stderr.
import { writeSync } from 'node:fs';

export const EXIT = {
  load: 1, // a file cannot be read or is not what it should be
  usage: 2,
  divergence: 3, // replay did not reproduce the recording
  incomplete: 4, // the recording was cut off; replayed as far as it goes
  limit: 124, // --max-insns reached
  guestFatal: 125, // the guest cannot go on
} as const;

/** An error that ends the command with a message and a status. */
export class CliFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') return;
      throw e;
    }
  }
}

/**
 * Makes a string that came from a file or the guest safe to print on a
 * terminal outside the guest's console stream: C0 and C1 control characters
 * (ESC, CSI, BEL, backspace, carriage return, newline...), DEL, the Unicode
 * line and paragraph separators and the bidirectional overrides are written as
 * escapes (\x1b, \u202e), so a recording cannot move the cursor, retitle the
 * window, hide text or forge a line of hindsight's own messages. Everything
 * else, backslashes included, is left alone.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Like terminalSafe, for JSON text: JSON.stringify already escapes C0; the rest become \u escapes, still valid JSON. */
export function jsonTerminalSafe(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
/** Outside strings, JSON.stringify's output holds only its own layout (newlines, spaces); inside them, C0 is escaped already. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
