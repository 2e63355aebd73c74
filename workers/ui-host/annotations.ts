// The notes, breakpoints, watchpoints and instant of a session, kept with its
// recording: saved in IndexedDB as they change (a few at a time), and written
// into the .hsr as its `anno` chunk on export, so that a reload, or a teammate
// who opens the file, finds them as they were.
import { MAX_NOTE_TEXT, MAX_NOTES, NO_ANNOTATIONS, type Annotations, type Note, type SavedTrap } from '../formats/annotations';
import { RecordingWriter, parseRecording } from '../formats/recording';
import { chunkSpans } from '../storage/log';
import { concatBytes } from '../formats/bytes';
import type { NoteInfo } from '../engine-api';

/** Position changes are saved at most this often (every motion changes it). */
const SAVE_DELAY_MS = 400;

export interface AnnotationsHost {
  /** The traps as they are now. */
  traps(): SavedTrap[];
  /** Saves them where the recording is stored; absent when it is not stored. */
  save?: (annotations: Annotations) => Promise<void>;
}

export class SessionAnnotations {
  private notes: Note[];
  private position: Annotations['position'];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Why the last save failed, if it did (shown by the page; the next change tries again). */
  problem: string | null = null;

  constructor(private readonly host: AnnotationsHost, initial: Annotations = NO_ANNOTATIONS) {
    this.notes = initial.notes.map((n) => ({ ...n }));
    this.position = initial.position;
  }

  /** The saved instant, if any (where the session opens when no other is asked for). */
  get savedPosition(): Annotations['position'] {
    return this.position;
  }

  list(): NoteInfo[] {
    return this.notes.map((n) => ({ id: n.id, icount: Number(n.icount), ...(n.end !== undefined ? { end: Number(n.end) } : {}), text: n.text }));
  }

  add(text: string, icount: bigint, end?: bigint): NoteInfo[] {
    const clean = checkNoteText(text);
    if (this.notes.length >= MAX_NOTES) throw new Error(`A recording holds at most ${MAX_NOTES} notes.`);
    if (end !== undefined && end < icount) throw new Error('A note\'s range must end after it starts.');
    const id = this.notes.reduce((m, n) => Math.max(m, n.id), 0) + 1;
    this.notes.push({ id, icount, ...(end !== undefined && end !== icount ? { end } : {}), text: clean });
    this.notes.sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : a.id - b.id));
    this.changed(true);
    return this.list();
  }

  edit(id: number, text: string): NoteInfo[] {
    const note = this.notes.find((n) => n.id === id);
    if (!note) throw new Error(`There is no note ${id}.`);
    note.text = checkNoteText(text);
    this.changed(true);
    return this.list();
  }

  remove(id: number): NoteInfo[] {
    const before = this.notes.length;
    this.notes = this.notes.filter((n) => n.id !== id);
    if (this.notes.length === before) throw new Error(`There is no note ${id}.`);
    this.changed(true);
    return this.list();
  }

  /** The user is now at this instant, on this hart (saved a little later). */
  moved(icount: bigint, hart: number): void {
    if (this.position && this.position.icount === icount && this.position.hart === hart) return;
    this.position = { icount, hart };
    this.changed(false);
  }

  /** The traps changed: saved at once. */
  trapsChanged(): void {
    this.changed(true);
  }

  snapshot(): Annotations {
    return { notes: this.notes.map((n) => ({ ...n })), traps: this.host.traps(), ...(this.position ? { position: this.position } : {}) };
  }

  /** Saves what is pending now (with `always`, saves even if nothing is), and waits for every save to finish. */
  async flush(always = false): Promise<void> {
    const pending = this.timer !== undefined;
    if (pending) clearTimeout(this.timer);
    this.timer = undefined;
    if (pending || always) this.saveNow();
    await this.saving;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private changed(now: boolean): void {
    if (!this.host.save) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (now) this.saveNow();
    else this.timer = setTimeout(() => { this.timer = undefined; this.saveNow(); }, SAVE_DELAY_MS);
  }

  private saveNow(): void {
    const save = this.host.save;
    if (!save) return;
    const snapshot = this.snapshot();
    // One save at a time, in order: the last one written is the newest.
    this.saving = this.saving.then(() => save(snapshot)).then(
      () => { this.problem = null; },
      (e: unknown) => { this.problem = `the notes, breakpoints and watchpoints were not saved in this browser: ${e instanceof Error ? e.message : String(e)}`; },
    );
  }
}

function checkNoteText(text: string): string {
  const clean = text.trim();
  if (clean === '') throw new Error('A note needs some text.');
  if (clean.length > MAX_NOTE_TEXT) throw new Error(`A note holds at most ${MAX_NOTE_TEXT} characters; this one has ${clean.length}.`);
  return clean;
}

/**
 * A recording file with `annotations` as its anno chunk (before END; any
 * anno chunk it had is replaced). With no annotations to write, the file
 * loses its anno chunk. A file that cannot be read is returned as it is.
 */
export function withAnnotations(bytes: Uint8Array, annotations: Annotations | undefined): Uint8Array {
  let validLength: number;
  try {
    validLength = parseRecording(bytes).validLength;
  } catch {
    return bytes;
  }
  const spans = chunkSpans(bytes, validLength);
  const kept = spans.filter((s) => s.type !== 'anno' && s.type !== 'END ');
  const end = spans.find((s) => s.type === 'END ');
  const slice = (s: { offset: number; size: number }) => bytes.subarray(s.offset, s.offset + s.size);
  const empty = !annotations || (annotations.notes.length === 0 && annotations.traps.length === 0 && annotations.position === undefined);
  return concatBytes([
    bytes.subarray(0, 16),
    ...kept.map(slice),
    ...(empty ? [] : [RecordingWriter.annotations(annotations)]),
    ...(end ? [slice(end)] : []),
  ]);
}
