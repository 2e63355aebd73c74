// Console input for a guest that reads the UART (an operating system's
// console driver), from a host stream that delivers bytes whenever it likes.
// Bytes wait here and go to the UART one line at a time, each once the guest
// has consumed the previous one and has read the line status register since:
// so input typed or piped before the kernel's console driver is ready is not
// lost to the FIFO reset drivers do at start-up, and a pasted script is read
// line by line.
import type { Machine } from './machine';

/** Where the bytes go: the Machine itself, or a recording Timeline (which logs them). */
export interface UartSink {
  readonly machine: Machine;
  sendUartInput(bytes: Uint8Array): number;
}

export class UartFeeder {
  private pending: number[] = [];
  /** The guest's LSR read count when input was last delivered (-1: never). */
  private deliveredAtReads = -1;

  push(bytes: Uint8Array): void {
    for (const b of bytes) this.pending.push(b);
  }

  get waiting(): number { return this.pending.length; }

  /** Delivers the next line if the guest is ready for it. */
  deliver(sink: UartSink): void {
    if (this.pending.length === 0) return;
    const raw = sink.machine.core.raw;
    const reads = raw.uartStatusReads();
    if (raw.uartPending() !== 0 || reads === this.deliveredAtReads || reads === 0) return;
    let n = 0;
    while (n < this.pending.length) { n++; if (this.pending[n - 1] === 10 || this.pending[n - 1] === 13) break; }
    const sent = sink.sendUartInput(Uint8Array.from(this.pending.slice(0, n)));
    this.pending.splice(0, sent);
    this.deliveredAtReads = reads;
  }
}
