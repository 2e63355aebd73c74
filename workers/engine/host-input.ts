// The one door through which the outside world reaches the guest. Everything
// non-deterministic (console input, wall-clock time) comes through here, so a
// recorder can wrap it and a replayer can stand in for it.

export interface HostInput {
  /**
   * Up to `max` bytes of console input for the guest. An empty array means end
   * of input; null means nothing is available yet (the machine will wait).
   */
  readConsole(max: number): Uint8Array | null;
  /** Wall-clock time in seconds since the Unix epoch. */
  wallClockSeconds(): number;
}

/** Input from a fixed byte string (tests, `--stdin FILE`), and a fixed clock. */
export class BufferedInput implements HostInput {
  private offset = 0;
  constructor(private readonly data: Uint8Array, private readonly clock: () => number = () => Math.floor(Date.now() / 1000)) {}
  readConsole(max: number): Uint8Array {
    const n = Math.min(max, this.data.length - this.offset);
    const out = this.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  wallClockSeconds(): number { return this.clock(); }
}

/** Input that arrives later (a browser console): bytes are queued, reads take what is there. */
export class QueuedInput implements HostInput {
  private queue: number[] = [];
  private ended = false;
  push(bytes: Uint8Array): void { for (const b of bytes) this.queue.push(b); }
  end(): void { this.ended = true; }
  readConsole(max: number): Uint8Array | null {
    if (this.queue.length === 0) return this.ended ? new Uint8Array(0) : null;
    // Deliver one line at most, as a terminal in canonical mode would.
    let n = 0;
    while (n < this.queue.length && n < max) { n++; if (this.queue[n - 1] === 10) break; }
    return Uint8Array.from(this.queue.splice(0, n));
  }
  wallClockSeconds(): number { return Math.floor(Date.now() / 1000); }
}
