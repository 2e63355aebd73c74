// Building tampered recordings for the integrity tests: every checksum right,
// so only the reader's consistency checks and replay can tell.
import { crc32 } from '../../workers/formats/crc32';
import { RecordingWriter, countEvents, type ParsedRecording, type RecordingEvent, type RecordingMeta } from '../../workers/formats/recording';
import { concat } from './support';

export interface RebuildOptions {
  meta?: RecordingMeta;
  program?: Uint8Array;
  disk?: Uint8Array;
  /** null: no END (a cut-off recording). */
  end?: ParsedRecording['end'] | null;
  /** Write END's counts for these events rather than the ones written (a forger who fixes them too). */
  countsFor?: RecordingEvent[];
  /** Leave END's counts out (a recording by an older writer). */
  noCounts?: boolean;
  snapshot?: Uint8Array;
  /** Events per EVTS chunk (default: all in one). */
  perChunk?: number;
}

/** A recording rebuilt from (changed) parts. */
export function rebuild(parsed: ParsedRecording, events: RecordingEvent[] = parsed.events, o: RebuildOptions = {}): Uint8Array {
  const pieces = [RecordingWriter.start(o.meta ?? parsed.meta, o.program ?? parsed.program, o.disk ?? parsed.disk, parsed.version)];
  const per = o.perChunk ?? Math.max(1, events.length);
  for (let i = 0; i < events.length; i += per) pieces.push(RecordingWriter.events(events.slice(i, i + per)));
  if (events.length === 0) pieces.push(RecordingWriter.events([]));
  if (o.snapshot) pieces.push(RecordingWriter.snapshot(o.snapshot));
  const end = o.end === undefined ? parsed.end : o.end;
  if (end) {
    const { eventCount: _c, outputBytes: _b, ...bare } = end;
    pieces.push(o.noCounts ? RecordingWriter.end(bare) : RecordingWriter.end(bare, countEvents(o.countsFor ?? events)));
  }
  return concat(pieces);
}

/** Recomputes the CRC of every complete chunk (after a byte-level change), as a careful forger would. */
export function fixChecksums(file: Uint8Array): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer);
  let pos = 16;
  while (pos + 8 <= out.length) {
    const length = view.getUint32(pos + 4, true);
    const crcAt = pos + 8 + length;
    if (crcAt + 4 > out.length) break;
    view.setUint32(crcAt, crc32(out.subarray(pos, crcAt)), true);
    pos = crcAt + 4;
  }
  return out;
}

/** Offsets and types of the chunks of a recording. */
export function chunksOf(file: Uint8Array): { type: string; offset: number; length: number }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { type: string; offset: number; length: number }[] = [];
  let pos = 16;
  while (pos + 8 <= file.length) {
    const length = view.getUint32(pos + 4, true);
    if (pos + 12 + length > file.length) break;
    out.push({ type: String.fromCharCode(...file.subarray(pos, pos + 4)), offset: pos, length });
    pos += 12 + length;
  }
  return out;
}
