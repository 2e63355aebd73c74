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
