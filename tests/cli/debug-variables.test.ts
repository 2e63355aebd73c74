// `hindsight debug`'s print, info locals/args and frame, driven in-process on a recording.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DebugSession } from '../../workers/cli/debug';
import { openTimeline, recordExample } from '../gdb/support';
import { tempDir } from '../support/qemu';

let dir: string;
beforeAll(() => { dir = tempDir('debug-vars'); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('hindsight debug: variables', () => {
  it('prints variables and expressions in the selected frame', async () => {
    const file = join(dir, 'corruption.hsr');
    recordExample('corruption', file);
    const out: string[] = [];
    const s = new DebugSession(await openTimeline(file), (l) => out.push(l));
    for (const c of ['break compute_stats', 'continue', 'info args', 'print n', 'p n * 2 + 1', 'print &raw_samples[1]', 'p sizeof(struct stats)',
      'frame 1', 'info args', 'print num_samples']) await s.execute(c);
    const text = out.join('\n');
    expect(text).toMatch(/^values = 0x[0-9a-f]+ <raw_samples>$/m);
    expect(text).toMatch(/^\$1 = (\d+)$/m);
    const n = Number(/^\$1 = (\d+)$/m.exec(text)?.[1]);
    expect(text).toContain(`$2 = ${n * 2 + 1}`);
    expect(text).toMatch(/^\$3 = \(int \*\) 0x[0-9a-f]+ <raw_samples\+4>$/m);
    expect(text).toMatch(/^\$4 = \d+$/m);
    expect(text).toMatch(/^#1 {2}0x[0-9a-f]+ in main \(\) at /m);
    expect(text).toContain('No arguments.');
    expect(text).toMatch(/^\$5 = \d+$/m);
    await expect(s.execute('print no_such_thing')).rejects.toThrow('No symbol "no_such_thing" in current context.');
    await expect(s.execute('frame 99')).rejects.toThrow('No frame at level 99.');
    // A motion selects frame 0 again.
    await s.execute('stepi');
    out.length = 0;
    await s.execute('info locals');
    expect(out.length).toBeGreaterThan(0);
  }, 60_000);
});
