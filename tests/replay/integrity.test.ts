// Issue 17: a recording from someone else is checked, not trusted. Each test
// builds a tampered file whose checksums are right, so only replay (or the
// reader's own consistency checks) can tell.
import { describe, it, expect } from 'vitest';
import { parseRecording, type RecordingEvent } from '../../workers/formats/recording';
import { ReplayDivergence } from '../../workers/replay/timeline';
import { recordExample, openReplay } from './support';
import { rebuild } from './tamper';
import { exportSnapshotImage } from '../../workers/replay/snapshot-image';

async function replayError(file: Uint8Array): Promise<ReplayDivergence> {
  const t = await openReplay(file);
  try {
    await t.continue();
  } catch (e) {
    if (e instanceof ReplayDivergence) return e;
    throw e;
  }
  throw new Error('replay did not diverge');
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('recorded output is compared with replay output', () => {
  for (const name of ['hello', 'uart']) {
    it(`${name}: a changed output byte is a divergence naming the offset and both bytes`, async () => {
      const rec = await recordExample(name);
      const parsed = parseRecording(rec.file);
      const outs = parsed.events.flatMap((e, k) => (e.kind === 'output' && e.bytes.length > 0 ? [k] : []));
      const i = outs[Math.min(3, outs.length - 1)];
      expect(parsed.events[i].kind).toBe('output');
      const before = parsed.events.slice(0, i).reduce((n, e) => n + (e.kind === 'output' && e.stream === 'stdout' ? e.bytes.length : 0), 0);
      const events = parsed.events.map((e, k) => {
        if (k !== i || e.kind !== 'output') return e;
        const bytes = e.bytes.slice();
        bytes[bytes.length - 1] = 0x1b;
        return { ...e, bytes };
      });
      const changed = parsed.events[i] as RecordingEvent & { kind: 'output' };
      const e = await replayError(rebuild(parsed, events));
      expect(e.message).toMatch(new RegExp(`^replay diverged at icount \\d+: stdout differs at byte ${before + changed.bytes.length - 1}: the recording has "\\\\x1b" \\(0x1b\\), replay wrote "(.|\\\\[a-z])"`));
      expect(e.icount).toBeLessThanOrEqual(changed.icount);
      expect(e.message).not.toContain('\x1b');
    });

    it(`${name}: missing and extra output are divergences`, async () => {
      const rec = await recordExample(name);
      const parsed = parseRecording(rec.file);
      // The last output event deleted: replay writes more than the recording holds.
      const lastOut = parsed.events.map((e) => e.kind).lastIndexOf('output');
      const fewer = parsed.events.filter((_, k) => k !== lastOut);
      expect((await replayError(rebuild(parsed, fewer))).message).toMatch(/replay wrote more stdout than the recording holds: byte \d+ is /);
      // An extra output event at the end: replay never writes it.
      const last = parsed.events[parsed.events.length - 1];
      const more = [...parsed.events, { kind: 'output' as const, icount: last.icount, stream: 'stdout' as const, bytes: enc('forged\n') }];
      expect((await replayError(rebuild(parsed, more))).message).toMatch(/stdout output is missing: the recording has "f" \(0x66\) at byte \d+ (before icount \d+|by the end of the recording), but replay wrote only \d+ bytes/);
      // Recorded stderr output that the program never writes is missing as soon as replay passes it.
      const early = [...parsed.events, { kind: 'output' as const, icount: 5n, stream: 'stderr' as const, bytes: enc('x') }]
        .sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : 0));
      expect((await replayError(rebuild(parsed, early))).message).toMatch(/stderr output is missing: the recording has "x" \(0x78\) at byte 0 before icount \d+/);
    });
  }

  it('an honest recording cut off mid-output still replays (extra output at the cut is not held against it)', async () => {
    const rec = await recordExample('uart');
    const parsed = parseRecording(rec.file);
    const lastOut = parsed.events.map((e) => e.kind).lastIndexOf('output');
    const cut = parseRecording(rebuild(parsed, parsed.events.slice(0, lastOut), { end: null }));
    const t = await openReplay(cut);
    expect((await t.continue()).reason).toBe('end');
  });
});

describe('every logged digest is checked at its icount', () => {
  const sorted = (events: RecordingEvent[]) => [...events].sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : 0));

  it('a digest at an icount that is no checkpoint, at the end, or twice at one icount', async () => {
    const rec = await recordExample('hello');
    const parsed = parseRecording(rec.file);
    const zero = parsed.events.find((e) => e.kind === 'digest' && e.icount === 0n)!;
    const end = parsed.end!.icount;
    for (const at of [1234n, end - 1n, end]) {
      const e = await replayError(rebuild(parsed, sorted([...parsed.events, { ...zero, icount: at }])));
      expect(e.icount).toBe(at);
      expect(e.message).toMatch(new RegExp(`^replay diverged at icount ${at}: `));
    }
    const twice = [zero, { ...zero, digest: zero.kind === 'digest' ? zero.digest.map((b) => b ^ 1) : new Uint8Array() }, ...parsed.events.slice(1)];
    await expect(openReplay(rebuild(parsed, twice as RecordingEvent[]))).rejects.toThrow(/replay diverged at icount 0: the recording holds two different state digests for this icount/);
  });

  it('an honest digest at an unusual icount passes', async () => {
    const rec = await recordExample('hello', '', { checkpointInterval: 1000n });
    const t = await openReplay(rec.file); // the default interval: replay stops at each of the recording's digests anyway
    expect((await t.continue()).reason).toBe('exit');
  });
});

describe('output timing and unread input', () => {
  it('semihosting output the log places before the call that writes it is missing there', async () => {
    const rec = await recordExample('hello');
    const parsed = parseRecording(rec.file);
    const outs = parsed.events.flatMap((e, k) => (e.kind === 'output' ? [k] : []));
    const k = outs[5];
    const moved = parsed.events.map((e, j) => (j === k ? { ...e, icount: parsed.events[outs[4]].icount } : e));
    const e = await replayError(rebuild(parsed, moved));
    expect(e.message).toMatch(new RegExp(`stdout output is missing: the recording has "," \\(0x2c\\) at byte 5 before icount ${parsed.events[outs[4]].icount + 1n}`));
  });

  it('console input or a wall-clock value the program never read is a divergence', async () => {
    const rec = await recordExample('hello');
    const parsed = parseRecording(rec.file);
    const last = parsed.events[parsed.events.length - 1].icount;
    for (const extra of [{ kind: 'console-input' as const, icount: last, bytes: enc('rm -rf /\n') }, { kind: 'wall-clock' as const, icount: 3n, seconds: 5n }]) {
      const events = [...parsed.events, extra].sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : 0));
      const e = await replayError(rebuild(parsed, events));
      expect(e.message).toMatch(new RegExp(`the recording holds (console input|a wall-clock value) at icount ${extra.icount} that the program never read`));
    }
  });

  it('echo, which reads its input, replays', async () => {
    const rec = await recordExample('echo', 'one\ntwo\n');
    const t = await openReplay(rec.file);
    expect((await t.continue()).reason).toBe('exit');
  });
});

describe('digests behind an embedded snapshot image', () => {
  it('are still checked by a replay from icount 0 that loaded the image', async () => {
    const interval = { checkpointInterval: 1n << 12n };
    const rec = await recordExample('timer', '', interval);
    const first = await openReplay(rec.file, interval);
    await first.continue();
    const image = exportSnapshotImage(first);
    const parsed = parseRecording(rec.file);
    const digests = parsed.events.filter((e) => e.kind === 'digest' && e.icount > 0n);
    expect(digests.length).toBeGreaterThan(2);
    // A wrong digest at an icount between checkpoints: the image has no snapshot there, so it loads.
    const at = digests[0].icount + 7n;
    const forged = [...parsed.events, { ...digests[0], icount: at }].sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : 0));
    const t = await openReplay(rebuild(parsed, forged, { snapshot: image }), interval);
    expect(t.snapshots.stats().count).toBeGreaterThan(1);
    await expect(t.continue()).rejects.toThrow(new RegExp(`replay diverged at icount ${at}: `));
  });
});
