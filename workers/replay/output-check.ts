// Replay compares the console output it produces with the recording's OUTPUT
// events, stream by stream, as byte streams.
//
// When the bytes appear is only known within limits: semihosting output is
// stamped with the icount of the call that wrote it, but UART output is
// stamped at the end of the core slice that produced it, and replay's slices
// need not end where the recording's did. What is certain: a recorded byte
// stamped S was produced by an instruction before S (or, from a host call, at
// S). So once the first pass of a replay has run to icount T, every byte
// stamped below T must have appeared; a byte appearing that the recording does
// not hold, or a different byte, is a divergence at once; and at the end of a
// complete recording the streams must be equal.
//
// Replay also ends a slice just after each recorded output's icount, so that
// output from a host call (stamped exactly) that the log places earlier than
// it happens is found. And it checks that the program read every console
// input and wall-clock value the log holds: a recorder logs only what was read.
import type { RecordingEvent } from '../formats/recording';

type Stream = 'stdout' | 'stderr';

interface StreamLog {
  bytes: Uint8Array;
  /** Per OUTPUT event, in log order: its icount and the stream offset just after its bytes. */
  stamps: { icount: bigint; end: number }[];
  /** Bytes replay has produced on this stream. */
  produced: number;
  /** Index into stamps of the first event not yet known to be due. */
  due: number;
}

export class OutputCheck {
  private readonly streams: Record<Stream, StreamLog>;
  /** Just after each output event's icount, ascending, without repeats. */
  private readonly stops: bigint[] = [];
  /** Console-input and wall-clock events the program has not read yet. */
  private readonly unread = new Set<RecordingEvent>();

  /** `complete`: the recording has its END, so output beyond the log is extra (a cut-off log may lack its last output). */
  constructor(events: readonly RecordingEvent[], private readonly complete: boolean) {
    const make = (stream: Stream): StreamLog => {
      const parts: Uint8Array[] = [];
      const stamps: { icount: bigint; end: number }[] = [];
      let size = 0;
      for (const e of events) {
        if (e.kind !== 'output' || e.stream !== stream) continue;
        parts.push(e.bytes);
        size += e.bytes.length;
        stamps.push({ icount: e.icount, end: size });
      }
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const p of parts) { bytes.set(p, at); at += p.length; }
      return { bytes, stamps, produced: 0, due: 0 };
    };
    this.streams = { stdout: make('stdout'), stderr: make('stderr') };
    for (const e of events) {
      if (e.kind === 'output' && this.stops[this.stops.length - 1] !== e.icount + 1n) this.stops.push(e.icount + 1n);
      if (e.kind === 'console-input' || e.kind === 'wall-clock') this.unread.add(e);
    }
  }

  /** Where the first pass should end a slice next, after `now`, to check output timing: undefined for nowhere. */
  nextStop(now: bigint): bigint | undefined {
    let lo = 0, hi = this.stops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.stops[mid] <= now) lo = mid + 1; else hi = mid;
    }
    return lo < this.stops.length ? this.stops[lo] : undefined;
  }

  /** The program read this logged input. */
  read(event: RecordingEvent): void {
    this.unread.delete(event);
  }

  /** Replay produced `bytes` on `stream`: the first problem, or undefined. */
  produced(stream: Stream, bytes: Uint8Array): string | undefined {
    const s = this.streams[stream];
    for (let i = 0; i < bytes.length; i++) {
      const at = s.produced + i;
      if (at >= s.bytes.length) {
        if (!this.complete) break;
        return `replay wrote more ${stream} than the recording holds: byte ${at} is ${byteText(bytes[i])}, ` +
          `but the recorded ${stream} ends after ${s.bytes.length} bytes`;
      }
      if (bytes[i] !== s.bytes[at]) {
        return `${stream} differs at byte ${at}: the recording has ${byteText(s.bytes[at])}, replay wrote ${byteText(bytes[i])}` +
          ` (recorded ${context(s.bytes, at)}, replayed ${context(bytes, i)})`;
      }
    }
    s.produced += bytes.length;
    return undefined;
  }

  /** The first pass has run up to icount `t` (all output of the instructions before t has been produced). */
  reached(t: bigint): string | undefined {
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.streams[stream];
      while (s.due < s.stamps.length && s.stamps[s.due].icount < t) s.due++;
      const needed = s.due > 0 ? s.stamps[s.due - 1].end : 0;
      if (s.produced < needed) return this.missing(stream, `before icount ${t}`);
    }
    return undefined;
  }

  /** The replay reached the end of a complete recording: all recorded output must have appeared. */
  finished(): string | undefined {
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = this.streams[stream];
      if (s.produced < s.bytes.length) return this.missing(stream, 'by the end of the recording');
    }
    for (const e of this.unread) {
      return `the recording holds ${e.kind === 'wall-clock' ? 'a wall-clock value' : 'console input'} at icount ${e.icount} that the program never read`;
    }
    return undefined;
  }

  private missing(stream: Stream, when: string): string {
    const s = this.streams[stream];
    return `${stream} output is missing: the recording has ${byteText(s.bytes[s.produced])} at byte ${s.produced} ${when}, ` +
      `but replay wrote only ${s.produced} bytes (recorded ${context(s.bytes, s.produced)})`;
  }
}

/** One byte as an escaped quoted character and its hex value, e.g. "\x1b" (0x1b). */
function byteText(b: number): string {
  return `"${escapeByte(b)}" (0x${b.toString(16).padStart(2, '0')})`;
}

function escapeByte(b: number): string {
  if (b === 0x0a) return '\\n';
  if (b === 0x0d) return '\\r';
  if (b === 0x09) return '\\t';
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return `\\x${b.toString(16).padStart(2, '0')}`;
}

/** Up to 16 bytes from `at`, escaped and quoted. */
function context(bytes: Uint8Array, at: number): string {
  let text = '';
  for (let i = at; i < Math.min(bytes.length, at + 16); i++) text += escapeByte(bytes[i]);
  return `"${text}"${at + 16 < bytes.length ? '...' : ''}`;
}
