// `note` in `hindsight debug`: the recording file is rewritten with its notes
// in the anno chunk, keeping its breakpoints, watchpoints and saved instant.
// Written beside the file and renamed over it, so an interrupted save leaves
// the old file whole.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseRecording } from '../formats/recording';
import { NO_ANNOTATIONS, type Note } from '../formats/annotations';
import { withAnnotations } from '../ui-host/annotations';

/** Saves `notes` into the recording at `path`; returns what to tell the user. */
export function saveNotes(path: string, notes: Note[]): string {
  try {
    const bytes = readFileSync(path);
    const parsed = parseRecording(bytes);
    const out = withAnnotations(bytes, { ...(parsed.annotations ?? NO_ANNOTATIONS), notes });
    const temporary = `${path}.saving`;
    writeFileSync(temporary, out);
    renameSync(temporary, path);
    return `saved in ${path}`;
  } catch (e) {
    return `not saved in the file (${e instanceof Error ? e.message : String(e)}); it stays for this session`;
  }
}
