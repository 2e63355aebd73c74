// Issue 17: host memory is bounded by the guest's own size. A guest that
// fills R MiB of RAM is recorded, replayed and exported (to a file and
// embedded) by the `hindsight` command, each peaking at no more than
// R + 150 MiB (twice the guest, as before the fix, would be about 2R + 60).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../support/qemu';
import { fillRamElf, measureHindsight } from '../support/fill-ram';
import { parseRecording } from '../../workers/formats/recording';

const R = 256;
const MiB = 1024 * 1024;
const BOUND = (R + 150) * MiB;

let dir: string;
let elf: string;
beforeAll(() => { dir = tempDir('memory'); elf = fillRamElf(R); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe(`a guest that fills ${R} MiB of RAM`, () => {
  it('is recorded, replayed and exported within R + 150 MiB of host memory', () => {
    const hsr = join(dir, 'fill.hsr');
    const steps: [string, string[]][] = [
      ['record', ['record', elf, '--ram', String(R), '-o', hsr]],
      ['replay', ['replay', hsr]],
      ['verify', ['verify', hsr]],
      ['snapshots -o', ['snapshots', hsr, '-o', join(dir, 'fill.qcow2')]],
      ['snapshots --embed', ['snapshots', hsr, '--embed']],
    ];
    for (const [what, args] of steps) {
      const m = measureHindsight(args, dir);
      expect(m.status, `${what}: ${m.stderr}`).toBe(0);
      expect(m.peakBytes, `${what} peaked at ${(m.peakBytes / MiB).toFixed(0)} MiB`).toBeLessThanOrEqual(BOUND);
    }
    // The streamed image is a sound qcow2 file, and the embedded one is it, byte for byte.
    const check = spawnSync('qemu-img', ['check', join(dir, 'fill.qcow2')], { encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(check.stdout).toContain('No errors were found on the image.');
    const image = readFileSync(join(dir, 'fill.qcow2'));
    const parsed = parseRecording(readFileSync(hsr));
    expect(parsed.snapshot?.length).toBe(statSync(join(dir, 'fill.qcow2')).size);
    expect(Buffer.from(parsed.snapshot!).equals(image)).toBe(true);
    // With the image embedded, verify checks it and replays on the same machine: the file and its
    // decoded pages on top of the bound, not a second guest's RAM.
    const verify = measureHindsight(['verify', hsr], dir);
    expect(verify.stdout + verify.stderr).toContain('verdict: ok');
    expect(verify.stdout).toMatch(/[1-9]\d* embedded snapshots checked/);
    expect(verify.peakBytes, `verify peaked at ${(verify.peakBytes / MiB).toFixed(0)} MiB`).toBeLessThanOrEqual(BOUND + 2 * image.length);
  }, 300_000);
});
