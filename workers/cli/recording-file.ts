// Recording files on disk: written as the program runs (chunk by chunk, so a
// crash leaves a readable file), read back with clear errors.
import { openSync, writeSync, closeSync, fsyncSync, readFileSync } from 'node:fs';
import { RecordingWriter, parseRecording, RecordingError, countEvents, type RecordingCounts, type ParsedRecording, type RecordingEnd, type RecordingMeta, type RecordingEvent } from '../formats/recording';

export class RecordingFileWriter {
  private fd: number;
  /** What the EVTS chunks written so far hold, for END. */
  private counts: RecordingCounts = { eventCount: 0, outputBytes: 0 };
  constructor(readonly path: string, meta: RecordingMeta, program: Uint8Array, disk?: Uint8Array) {
    this.fd = openSync(path, 'w');
    this.write(RecordingWriter.start(meta, program, disk));
  }
  events(events: RecordingEvent[]): void {
    if (!events.length) return;
    this.write(RecordingWriter.events(events));
    this.counts = countEvents(events, this.counts);
  }
  end(end: RecordingEnd): void {
    this.write(RecordingWriter.end(end, this.counts));
  }
  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
  private write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }
}

/** Reads and parses a recording; throws Error with a message that names the file. */
export function readRecordingFile(path: string): ParsedRecording {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseRecording(bytes);
  } catch (e) {
    if (e instanceof RecordingError) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
}
