// A recording's id and notes from a shell: `info` prints the id (the one the app's
// links use) and the notes; `debug`'s `note` saves a note into the file, which
// still replays and verifies, and `info notes` lists them.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { runHindsight, tempDir, EXAMPLES_DIR } from '../support/qemu';

let dir: string;
beforeAll(() => { dir = tempDir('cli-notes'); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** The META chunk's payload: after the 16-byte header and the chunk's 8-byte header. */
function metaPayload(file: Uint8Array): Uint8Array {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(20, true);
  return file.subarray(24, 24 + length);
}

describe('recording id and notes in the CLI', () => {
  it('info prints the id; debug saves notes in the file, which still replays; info lists them', () => {
    const file = join(dir, 'corruption.hsr');
    expect(runHindsight(['record', 'corruption.elf', '-o', file], { cwd: EXAMPLES_DIR }).status).toBe(1);
    const id = createHash('sha256').update(metaPayload(readFileSync(file))).digest('hex').slice(0, 32);
    expect(runHindsight(['info', file], { cwd: dir }).output).toContain(`id:          ${id}`);

    const script = ['seek 14311', 'note the store that \x1b[2Jcorrupts it', 'seek 100', 'note early', 'info notes', 'note', ''].join('\n');
    const debug = runHindsight(['debug', file], { cwd: dir, stdin: script });
    expect(debug.output).toContain(`note 1 at icount 14311: saved in ${file}`);
    expect(debug.output).toContain('note 2 at icount 100: saved in');
    expect(debug.output).toMatch(/2 {2}icount 100 {2}early\n1 {2}icount 14311 {2}the store that \\x1b\[2Jcorrupts it\n/);
    expect(debug.output).toContain('error: note needs some text');

    // The file keeps its id, lists the notes, and replays and verifies as before.
    const info = runHindsight(['info', file], { cwd: dir }).output;
    expect(info).toContain(`id:          ${id}`);
    expect(info).toContain('annotations: 2 notes, 0 breakpoints, 0 watchpoints');
    expect(info).toContain('note 2 at icount 100: early');
    const json = JSON.parse(runHindsight(['info', file, '--json'], { cwd: dir }).output) as { id: string; notes: { icount: string; text: string }[] };
    expect(json.id).toBe(id);
    expect(json.notes.map((n) => n.icount)).toEqual(['100', '14311']);
    expect(runHindsight(['replay', file], { cwd: dir }).status).toBe(1);
    expect(runHindsight(['verify', file], { cwd: dir }).status).toBe(0);
    // Another session sees them.
    expect(runHindsight(['debug', file], { cwd: dir, stdin: 'info notes\n' }).output).toContain('2  icount 100  early');
  });
});
