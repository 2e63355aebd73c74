/**
 * A recording's annotations: what a user added while debugging it, kept with
 * the recording so that a teammate who opens the file sees the same thing.
 * Notes pinned to instants (or ranges), the breakpoints and watchpoints, and
 * the instant the user was at. Stored in the optional `anno` chunk of a .hsr
 * file (docs/recording-format.md): readers that predate it skip it, and it
 * never changes what the recording replays.
 *
 * The chunk is UTF-8 JSON with a version number. Files are untrusted: every
 * field is checked and bounded, and a bad chunk is refused with the reason.
 */

/** The `anno` chunk's JSON carries this version; a newer one is refused (with that reason) rather than misread. */
export const ANNOTATIONS_VERSION = 1;
export const MAX_NOTES = 1000;
export const MAX_NOTE_TEXT = 4000;
export const MAX_TRAPS = 256;
export const MAX_LABEL = 200;

export interface Note {
  /** Unique within the recording (1, 2, ...). */
  id: number;
  /** The instant the note is pinned to. */
  icount: bigint;
  /** For a note about a range: its last instant (>= icount). */
  end?: bigint;
  text: string;
}

export interface SavedTrap {
  kind: 'breakpoint' | 'watchpoint';
  address: bigint;
  /** Watchpoints: bytes watched (1..4096) and the accesses that stop. */
  length?: number;
  access?: 'write' | 'read' | 'access';
  /** What the user typed or picked ("median_of", "corruption.c:126", "calibration_offset"). */
  label: string;
  enabled: boolean;
}

export interface Annotations {
  notes: Note[];
  traps: SavedTrap[];
  /** Where the user was (the instant and the hart shown). */
  position?: { icount: bigint; hart: number };
}

export const NO_ANNOTATIONS: Annotations = { notes: [], traps: [] };

export function isEmpty(a: Annotations): boolean {
  return a.notes.length === 0 && a.traps.length === 0 && a.position === undefined;
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;
const MAX_U64 = (1n << 64n) - 1n;

function u64(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !DECIMAL.test(value) || BigInt(value) > MAX_U64) {
    throw new Error(`${what} must be a decimal string of a 64-bit count`);
  }
  return BigInt(value);
}

function text(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  if (value.length > max) throw new Error(`${what} is ${value.length} characters long, more than the ${max} allowed`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks annotations from anywhere untrusted (a file, IndexedDB): returns them normalised, or throws saying what is wrong. */
export function checkAnnotations(value: unknown): Annotations {
  if (!isObject(value)) throw new Error('annotations must be a JSON object');
  if (value.version !== ANNOTATIONS_VERSION) {
    throw new Error(typeof value.version === 'number' && value.version > ANNOTATIONS_VERSION
      ? `annotations version ${value.version} is newer than this Hindsight reads (${ANNOTATIONS_VERSION})`
      : `annotations version must be ${ANNOTATIONS_VERSION}`);
  }
  const notesIn = value.notes ?? [];
  if (!Array.isArray(notesIn) || notesIn.length > MAX_NOTES) throw new Error(`notes must be a list of at most ${MAX_NOTES}`);
  const ids = new Set<number>();
  const notes = notesIn.map((n: unknown, i): Note => {
    if (!isObject(n)) throw new Error(`note ${i + 1} must be an object`);
    const id = n.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || ids.has(id)) throw new Error(`note ${i + 1} needs a unique whole-number id from 1`);
    ids.add(id);
    const icount = u64(n.icount, `note ${id}'s icount`);
    const note: Note = { id, icount, text: text(n.text, `note ${id}'s text`, MAX_NOTE_TEXT) };
    if (n.end !== undefined) {
      note.end = u64(n.end, `note ${id}'s end`);
      if (note.end < icount) throw new Error(`note ${id} ends (${note.end}) before it starts (${icount})`);
    }
    return note;
  });
  const trapsIn = value.traps ?? [];
  if (!Array.isArray(trapsIn) || trapsIn.length > MAX_TRAPS) throw new Error(`traps must be a list of at most ${MAX_TRAPS}`);
  const traps = trapsIn.map((t: unknown, i): SavedTrap => {
    if (!isObject(t)) throw new Error(`trap ${i + 1} must be an object`);
    if (t.kind !== 'breakpoint' && t.kind !== 'watchpoint') throw new Error(`trap ${i + 1}'s kind must be "breakpoint" or "watchpoint"`);
    if (typeof t.enabled !== 'boolean') throw new Error(`trap ${i + 1}'s enabled must be true or false`);
    const trap: SavedTrap = { kind: t.kind, address: u64(t.address, `trap ${i + 1}'s address`), label: text(t.label, `trap ${i + 1}'s label`, MAX_LABEL), enabled: t.enabled };
    if (t.kind === 'watchpoint') {
      if (typeof t.length !== 'number' || !Number.isSafeInteger(t.length) || t.length < 1 || t.length > 4096) throw new Error(`trap ${i + 1}'s length must be 1 to 4096 bytes`);
      if (t.access !== 'write' && t.access !== 'read' && t.access !== 'access') throw new Error(`trap ${i + 1}'s access must be "write", "read" or "access"`);
      trap.length = t.length;
      trap.access = t.access;
    }
    return trap;
  });
  const out: Annotations = { notes, traps };
  if (value.position !== undefined) {
    const p = value.position;
    if (!isObject(p)) throw new Error('position must be an object');
    if (typeof p.hart !== 'number' || !Number.isSafeInteger(p.hart) || p.hart < 0 || p.hart > 7) throw new Error('position.hart must be a hart number from 0 to 7');
    out.position = { icount: u64(p.icount, 'position.icount'), hart: p.hart };
  }
  return out;
}

/** The JSON form (counts as decimal strings, as everywhere in the format). */
export function annotationsToJson(a: Annotations): Record<string, unknown> {
  return {
    version: ANNOTATIONS_VERSION,
    notes: a.notes.map((n) => ({ id: n.id, icount: n.icount.toString(), ...(n.end !== undefined ? { end: n.end.toString() } : {}), text: n.text })),
    traps: a.traps.map((t) => ({
      kind: t.kind, address: t.address.toString(), label: t.label, enabled: t.enabled,
      ...(t.kind === 'watchpoint' ? { length: t.length, access: t.access } : {}),
    })),
    ...(a.position ? { position: { icount: a.position.icount.toString(), hart: a.position.hart } } : {}),
  };
}

export function encodeAnnotations(a: Annotations): Uint8Array {
  // Checked on the way out too: a writer never produces what a reader refuses.
  const json = annotationsToJson(a);
  checkAnnotations(json);
  return new TextEncoder().encode(JSON.stringify(json));
}

export function decodeAnnotations(payload: Uint8Array): Annotations {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new Error('the annotations are not valid UTF-8 JSON');
  }
  return checkAnnotations(value);
}
