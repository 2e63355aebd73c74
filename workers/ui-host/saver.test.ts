// Issue 17: a recording saved in IndexedDB survives a quota error as a valid
// shorter recording up to its last complete piece, and says why when it is
// opened again. The quota error is injected into fake-indexeddb's writes.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterEach } from 'vitest';
import { Timeline } from '../replay/timeline';
import { parseRecording } from '../formats/recording';
import { RecordingStore } from '../storage';
import { spyOnWrites, type WriteSpy } from '../storage/test-support';
import { BufferedInput } from '../engine/host-input';
import { RecordingSaver, interruptionOf } from './saver';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));

let spy: WriteSpy | undefined;
afterEach(() => { spy?.restore(); spy = undefined; });

describe('RecordingSaver', () => {
  for (const mode of ['throw', 'request', 'commit'] as const) {
    it(`a quota error (${mode}) leaves a valid shorter recording that says why when opened`, async () => {
      const store = await RecordingStore.open('hindsight', new IDBFactory(), { storage: null });
      const program = new Uint8Array(readFileSync(join(ROOT, 'public/examples/bench.elf')));
      const timeline = await Timeline.record(wasm, program, 'bench.elf', { ramMiB: 32, commandLine: 'bench.elf' },
        new BufferedInput(new Uint8Array()), 'browser');
      const failures: string[] = [];
      const saver = new RecordingSaver(store, timeline, { name: 'bench', programName: 'bench.elf' }, {}, (m) => failures.push(m));
      await saver.idle();
      spy = spyOnWrites();
      // Two pieces are stored, the third hits the quota.
      for (let piece = 0; piece < 4; piece++) {
        if (piece === 2) spy.failAt(1, mode);
        await timeline.continue({ limit: 2_000_000n });
        saver.settle();
        await saver.idle();
      }
      spy.restore();
      spy = undefined;
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/^browser storage is full: the recording was stopped at icount \d+ and keeps everything written before$/);
      const id = saver.id!;
      const info = (await store.get(id))!;
      const parsed = parseRecording(await store.exportFile(id));
      expect(parsed.truncation).toBeUndefined(); // it ends between chunks: nothing half-written
      expect(parsed.end).toBeUndefined();
      expect(parsed.events.at(-1)!.icount.toString()).toBe(info.length);
      expect(BigInt(info.length)).toBe(4_000_000n);
      expect(info.interruption).toBe(failures[0]);
      // It replays up to where it stops, every digest matching.
      const replay = await Timeline.replay(wasm, parsed);
      const r = await replay.continue();
      expect(r.reason).toBe('end');
      expect(replay.icount).toBe(4_000_000n);
      expect(interruptionOf(info, parsed)).toBe(`${failures[0]} (it holds everything saved up to icount 4000000)`);
      store.close();
    });
  }

  it('a recording that stops without a noted reason reads as interrupted by a closed tab', () => {
    const note = interruptionOf({ ended: null }, { events: [{ kind: 'digest', icount: 77n, digest: new Uint8Array(32) }] });
    expect(note).toBe('the tab was closed or the browser stopped while it was recording (it holds everything saved up to icount 77)');
    expect(interruptionOf({ ended: { reason: 'exit', exitCode: 0 } }, { events: [] })).toBeUndefined();
  });
});
