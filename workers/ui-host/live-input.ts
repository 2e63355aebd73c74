// Console input typed into the page while a program is being recorded: queued
// here, read by the program (through the Timeline, which logs it) when it asks.
import type { HostInput } from '../engine/host-input';

export class LiveInput implements HostInput {
  private queue: number[] = [];
  private ended = false;
  private waiters: (() => void)[] = [];

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.queue.push(b);
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Whether a read would return something now (bytes, or end of input). */
  get ready(): boolean {
    return this.queue.length > 0 || this.ended;
  }

  readConsole(max: number): Uint8Array | null {
    if (this.queue.length === 0) return this.ended ? new Uint8Array(0) : null;
    // One line at most, as a terminal in canonical mode delivers it.
    let n = 0;
    while (n < this.queue.length && n < max) {
      n++;
      if (this.queue[n - 1] === 10) break;
    }
    return Uint8Array.from(this.queue.splice(0, n));
  }

  wallClockSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  /** Resolves when input is there, or when `signal` aborts. */
  next(signal: AbortSignal): Promise<void> {
    if (this.ready || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
