// Snapshots as qcow2: qemu-img accepts what Hindsight writes and sees the same
// RAM; a recording that carries its image opens without replaying; an image
// that does not belong to the recording is refused.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { recordExample, openReplay, stateFingerprint, referenceAt, example, concat } from './support';
import { exportSnapshotImage, SnapshotImageError } from '../../workers/replay/snapshot-image';
import { parseRecording, RecordingWriter } from '../../workers/formats/recording';
import { tempDir } from '../support/qemu';

const INTERVAL = { checkpointInterval: 1n << 12n };

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function withImage(name: string) {
  const rec = await recordExample(name, '', INTERVAL);
  const t = await openReplay(rec.file, INTERVAL);
  await t.continue();
  const image = exportSnapshotImage(t);
  const parsed = parseRecording(rec.file);
  const file = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events),
    RecordingWriter.snapshot(image), RecordingWriter.end(parsed.end!)]);
  return { rec, t, image, file };
}

describe('snapshot images', () => {
  it('qemu-img checks, lists and extracts them: the same RAM as the engine at each icount', async () => {
    const { t, image } = await withImage('corruption');
    const dir = tempDir('qcow2');
    try {
      const path = join(dir, 'snaps.qcow2');
      writeFileSync(path, image);
      expect(run('qemu-img', ['check', path])).toContain('No errors were found on the image.');
      const list = run('qemu-img', ['snapshot', '-l', path]);
      const icounts = t.snapshots.list().map((s) => s.icount).filter((i) => i === 0n || t.hasDigestAt(i));
      expect(icounts.length).toBeGreaterThan(5);
      for (const i of icounts) expect(list).toMatch(new RegExp(`icount-${i}\\s.*\\s${i}\\s*$`, 'm'));
      for (const i of [icounts[1], icounts[Math.floor(icounts.length / 2)], icounts[icounts.length - 1]]) {
        const raw = join(dir, `ram-${i}.bin`);
        run('qemu-img', ['convert', '-l', `snapshot.name=icount-${i}`, '-O', 'raw', path, raw]);
        t.seek(i);
        const ours = createHash('sha256').update(t.machine.pagedView()).digest('hex');
        expect(createHash('sha256').update(readFileSync(raw)).digest('hex'), `RAM at icount ${i}`).toBe(ours);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a recording that carries its image opens with all snapshots, and seeks land on exact states', async () => {
    const { t: first, file } = await withImage('timer');
    const count = first.snapshots.list().filter((s) => s.icount === 0n || first.hasDigestAt(s.icount)).length;
    const t = await openReplay(file, INTERVAL);
    expect(t.icount).toBe(0n);
    expect(t.snapshots.stats().count).toBe(count);
    for (const pos of [t.length - 1n, 12345n, t.length / 2n, 7n]) {
      t.seek(pos);
      const ref = await referenceAt(example('timer'), 'timer.elf', pos);
      expect(stateFingerprint(t.machine)).toBe(stateFingerprint(ref));
    }
  });

  it('an image from another recording, or damaged, is refused', async () => {
    const a = await withImage('timer');
    const b = await withImage('corruption');
    const parsed = parseRecording(a.rec.file);
    const foreign = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events),
      RecordingWriter.snapshot(b.image), RecordingWriter.end(parsed.end!)]);
    await expect(openReplay(foreign, INTERVAL)).rejects.toThrow(SnapshotImageError);
    const damaged = a.image.slice();
    damaged[0] ^= 0xff;
    const bad = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events),
      RecordingWriter.snapshot(damaged), RecordingWriter.end(parsed.end!)]);
    await expect(openReplay(bad, INTERVAL)).rejects.toThrow(/snapshot image: qcow2/);
    // Without the image the same recording still opens.
    const t = await openReplay(parseRecording(bad), { ...INTERVAL, useSnapshotImage: false });
    expect(t.snapshots.stats().count).toBe(1);
  });
});
