// Record, then replay: the same output, exit status and state digests; a
// tampered or truncated recording is caught or replayed as far as it goes.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { examples } from '../support/qemu';
import { recordExample, openReplay, concat } from './support';
import { parseRecording, RecordingWriter, RecordingError } from '../../workers/formats/recording';
import { ReplayDivergence } from '../../workers/replay/timeline';

const SMALL = examples().filter((e) => !e.benchmark);

describe('record then replay', () => {
  for (const ex of SMALL) {
    it(`${ex.name}: replay reproduces output, exit status and every digest`, async () => {
      const rec = await recordExample(ex.name, ex.stdin ?? '', { checkpointInterval: 1n << 9n });
      const parsed = parseRecording(rec.file);
      expect(parsed.end?.reason).toBe('exit');
      const digests = parsed.events.filter((e) => e.kind === 'digest').length;
      expect(digests).toBeGreaterThan(1);
      const replay = await openReplay(parsed, { checkpointInterval: 1n << 9n });
      let output = '';
      replay.onOutput((b) => { output += new TextDecoder().decode(b); });
      const result = await replay.continue();
      expect(result.reason).toBe('exit');
      expect(result.exitCode).toBe(parsed.end?.exitCode);
      expect(result.icount).toBe(parsed.end?.icount);
      expect(output).toBe(rec.output);
      expect(output.length).toBeGreaterThan(0);
      expect(replay.finalDigest()).toBe(parsed.end?.finalDigest);
    });
  }

  it('a format version 2 recording (made before the PLIC existed) replays on board revision 1, every digest matching', async () => {
    // Made by the previous release from the uart example, which drives the UART by polling.
    const file = readFileSync(join(import.meta.dirname, '../fixtures/recording-v2-uart.hsr'));
    const parsed = parseRecording(file);
    expect(parsed.version).toBe(2);
    expect(parsed.boardRevision).toBe(1);
    const replay = await openReplay(parsed);
    expect(replay.machine.core.raw.getBoardRevision()).toBe(1);
    let output = '';
    replay.onOutput((b) => { output += new TextDecoder().decode(b); });
    const result = await replay.continue();
    expect(result.reason).toBe('exit');
    expect(result.icount).toBe(parsed.end?.icount);
    expect(output).toBe(new TextDecoder().decode(Uint8Array.from(parsed.events.filter((e) => e.kind === 'output').flatMap((e) => [...e.bytes]))));
    expect(replay.finalDigest()).toBe(parsed.end?.finalDigest);
  });

  it('echo: console input comes from the recording, not from the host', async () => {
    const rec = await recordExample('echo', 'first line\nsecond\n');
    expect(rec.output).toContain('1: FIRST LINE');
    const parsed = parseRecording(rec.file);
    expect(parsed.events.filter((e) => e.kind === 'console-input').length).toBeGreaterThan(0);
    const replay = await openReplay(parsed);
    let output = '';
    replay.onOutput((b) => { output += new TextDecoder().decode(b); });
    expect((await replay.continue()).reason).toBe('exit');
    expect(output).toBe(rec.output);
  });
});

describe('tampering and truncation', () => {
  it('a flipped byte in the log is reported as corruption with its offset', async () => {
    const rec = await recordExample('hello');
    const start = RecordingWriter.start(parseRecording(rec.file).meta, parseRecording(rec.file).program).length;
    const bad = rec.file.slice();
    bad[start + 40] ^= 0x55;
    expect(() => parseRecording(bad)).toThrow(RecordingError);
    try { parseRecording(bad); } catch (e) { expect((e as RecordingError).message).toMatch(/offset 0x[0-9a-f]+/); }
  });

  it('changed console input (with valid checksums) is caught as divergence', async () => {
    const rec = await recordExample('echo', 'abc\n', { checkpointInterval: 1n << 10n });
    const parsed = parseRecording(rec.file);
    const events = parsed.events.map((e) => e.kind === 'console-input' && e.bytes.length > 0
      ? { ...e, bytes: new TextEncoder().encode('abd\n') } : e);
    const forged = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(events), RecordingWriter.end(parsed.end!)]);
    const replay = await openReplay(forged, { checkpointInterval: 1n << 10n });
    await expect(replay.continue()).rejects.toThrow(ReplayDivergence);
    await expect((async () => { const r = await openReplay(forged, { checkpointInterval: 1n << 10n }); await r.continue(); })())
      .rejects.toThrow(/replay diverged at icount \d+: /);
  });

  it('a recording of another program with this log diverges at once', async () => {
    const rec = await recordExample('hello');
    const other = await recordExample('uart');
    const a = parseRecording(rec.file), b = parseRecording(other.file);
    const forged = concat([RecordingWriter.start(b.meta, b.program), RecordingWriter.events(a.events), RecordingWriter.end(a.end!)]);
    await expect(openReplay(forged)).rejects.toThrow(/replay diverged at icount 0/);
  });

  it('a truncated recording replays up to its last complete chunk', async () => {
    const rec = await recordExample('corruption', '', { checkpointInterval: 1n << 12n });
    const parsed = parseRecording(rec.file);
    // Split the events into many chunks, as a long recording is written, then cut the file mid-chunk.
    const pieces = [RecordingWriter.start(parsed.meta, parsed.program)];
    const per = 8;
    for (let i = 0; i < parsed.events.length; i += per) pieces.push(RecordingWriter.events(parsed.events.slice(i, i + per)));
    const whole = concat(pieces);
    const logStart = pieces[0].length;
    const cut = whole.slice(0, logStart + Math.floor((whole.length - logStart) * 0.6));
    const partial = parseRecording(cut);
    expect(partial.end).toBeUndefined();
    expect(partial.truncation).toMatch(/cut off/);
    const replay = await openReplay(partial);
    let output = '';
    replay.onOutput((b) => { output += new TextDecoder().decode(b); });
    const result = await replay.continue();
    expect(result.reason).toBe('end');
    const lastEvent = partial.events[partial.events.length - 1].icount;
    expect(result.icount).toBe(lastEvent);
    expect(rec.output.startsWith(output)).toBe(true);
    expect(output.length).toBeGreaterThan(0);
  });
});

describe('a recording that lies about its end', () => {
  it('is caught when the program exits elsewhere or with another status', async () => {
    const rec = await recordExample('hello');
    const parsed = parseRecording(rec.file);
    for (const end of [{ ...parsed.end!, exitCode: 7 }, { ...parsed.end!, icount: parsed.end!.icount + 1000n }]) {
      const forged = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events), RecordingWriter.end(end)]);
      const t = await openReplay(forged);
      await expect(t.continue()).rejects.toThrow(/replay diverged at icount \d+: the program ended here \(exit 0\), but the recording ends at/);
    }
  });
});
