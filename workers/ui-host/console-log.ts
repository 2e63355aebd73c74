// The console as the log tells it: output the program wrote and input it
// received through semihosting, each stamped with its icount, decoded to text once.
import type { RecordingEvent } from '../formats/recording';
import type { ConsoleEvent } from '../engine-api';

export class ConsoleLog {
  private readonly decoders = { stdout: new TextDecoder(), stderr: new TextDecoder(), stdin: new TextDecoder() };
  private cursor = 0;

  /** Console events among `events[cursor..]` (the timeline's log, which only grows), and moves the cursor to the end. */
  take(events: readonly RecordingEvent[]): ConsoleEvent[] {
    const out: ConsoleEvent[] = [];
    for (; this.cursor < events.length; this.cursor++) {
      const e = events[this.cursor];
      if (e.kind === 'output') {
        const text = this.decoders[e.stream].decode(e.bytes, { stream: true });
        if (text !== '') push(out, { icount: Number(e.icount), kind: e.stream, text });
      } else if (e.kind === 'console-input') {
        // (UART input is not shown: a program on the UART echoes what it wants
        // shown, as on a serial terminal; xv6's console does.)
        if (e.bytes.length === 0) {
          out.push({ icount: Number(e.icount), kind: 'eof', text: '' });
        } else {
          const text = this.decoders.stdin.decode(e.bytes, { stream: true });
          if (text !== '') push(out, { icount: Number(e.icount), kind: 'stdin', text });
        }
      }
    }
    return out;
  }
}

/** Appends, merging with the previous event when it is the same kind at the same icount. */
function push(out: ConsoleEvent[], event: ConsoleEvent): void {
  const last = out.at(-1);
  if (last && last.kind === event.kind && last.icount === event.icount) last.text += event.text;
  else out.push(event);
}
