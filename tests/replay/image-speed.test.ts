// Issue 17: an embedded snapshot image never makes time travel slower than
// without it. Snapshots from an image carry no record of the code that ran or
// the pages written before them, so reverse-continue used to scan every
// stretch with its traps armed; it now replays a stretch once unarmed to learn
// that, as the first pass does without an image, and skips what it can.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { recordExample, openReplay, concat } from './support';
import { exportSnapshotImage } from '../../workers/replay/snapshot-image';
import { parseRecording, RecordingWriter } from '../../workers/formats/recording';
import { Timeline } from '../../workers/replay/timeline';

const INTERVAL = { checkpointInterval: 1n << 12n };

afterEach(() => { vi.restoreAllMocks(); });

/** Counts the stretches reverse-continue scans with traps armed (the slow part). */
function countScans(): { count: number } {
  const counter = { count: 0 };
  const proto = Timeline.prototype as unknown as { scanForLastHit: (...args: unknown[]) => unknown };
  const original = proto.scanForLastHit;
  vi.spyOn(proto, 'scanForLastHit').mockImplementation(function (this: unknown, ...args: unknown[]) {
    counter.count++;
    return original.apply(this, args);
  });
  return counter;
}

describe('a recording with its snapshot image', () => {
  it('reverse-continues to the same write, scanning no more stretches than without the image', async () => {
    const rec = await recordExample('corruption', '', INTERVAL);
    const first = await openReplay(rec.file, INTERVAL);
    await first.continue();
    const parsed = parseRecording(rec.file);
    const withImage = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events),
      RecordingWriter.snapshot(exportSnapshotImage(first)), RecordingWriter.end(parsed.end!)]);

    const session = async (file: Uint8Array) => {
      const t = await openReplay(file, INTERVAL);
      t.seek(t.length);
      t.reverseStepi();
      t.addWatchpoint('calibration_offset', 4, 'write');
      const scans = countScans();
      const hit = await t.reverseContinue();
      vi.restoreAllMocks();
      // Again: everything is known now, on both sides.
      const again = countScans();
      t.seek(t.length);
      const second = await t.reverseContinue();
      vi.restoreAllMocks();
      return { hit, scans: scans.count, again: again.count, second, snapshots: t.snapshots.stats().count };
    };
    const plain = await session(rec.file);
    const image = await session(withImage);
    expect(image.snapshots).toBeGreaterThan(5);
    expect(image.hit.reason).toBe('watchpoint');
    expect(image.hit.icount).toBe(plain.hit.icount);
    expect(image.second.icount).toBe(plain.second.icount);
    expect(image.scans).toBeLessThanOrEqual(plain.scans);
    expect(image.again).toBeLessThanOrEqual(plain.again);
  });
});
