import { describe, it, expect } from 'vitest';
import { IMAGE_CHUNK_SIZE as C, applyPatch, assembleImage, checkImageWrite, chunkCount, chunkSize, planImageWrite } from './image';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('image chunk arithmetic', () => {
  it('is 64 KiB chunks', () => {
    expect(C).toBe(65536);
    expect(chunkCount(0)).toBe(0);
    expect(chunkCount(1)).toBe(1);
    expect(chunkCount(C)).toBe(1);
    expect(chunkCount(C + 1)).toBe(2);
    expect(chunkSize(0, C + 10)).toBe(C);
    expect(chunkSize(1, C + 10)).toBe(10);
    expect(chunkSize(2, C + 10)).toBe(0);
  });

  it('plans one patch per touched chunk, splitting ranges at chunk boundaries', () => {
    const plan = planImageWrite(
      [
        { offset: C - 3, bytes: bytes(5, 7) },
        { offset: 3 * C + 1, bytes: bytes(2, 9) },
      ],
      4 * C,
    );
    expect(plan.map((p) => p.index)).toEqual([0, 1, 3]);
    expect(plan[0].parts).toEqual([{ at: C - 3, bytes: bytes(3, 7) }]);
    expect(plan[1].parts).toEqual([{ at: 0, bytes: bytes(2, 7) }]);
    expect(plan[2].parts).toEqual([{ at: 1, bytes: bytes(2, 9) }]);
    expect(plan.every((p) => !p.covered)).toBe(true);
  });

  it('knows when a chunk is wholly overwritten (so its old bytes need not be read)', () => {
    const [whole, last] = planImageWrite([{ offset: 0, bytes: bytes(C + 100) }], C + 100);
    expect(whole.covered).toBe(true);
    expect(last).toMatchObject({ index: 1, size: 100, covered: true });
    const [pieced] = planImageWrite(
      [
        { offset: 1000, bytes: bytes(C - 1000) },
        { offset: 0, bytes: bytes(1001) },
      ],
      C,
    );
    expect(pieced.covered).toBe(true);
    const [gap] = planImageWrite(
      [
        { offset: 0, bytes: bytes(100) },
        { offset: 101, bytes: bytes(C - 101) },
      ],
      C,
    );
    expect(gap.covered).toBe(false);
  });

  it('ignores empty ranges', () => {
    expect(planImageWrite([{ offset: 5, bytes: new Uint8Array(0) }], 10)).toEqual([]);
  });

  it('applies parts in order over the old bytes, resized to the chunk', () => {
    const [patch] = planImageWrite(
      [
        { offset: 2, bytes: bytes(4, 5) },
        { offset: 4, bytes: bytes(1, 6) },
      ],
      10,
    );
    expect([...applyPatch(patch, bytes(20, 1))]).toEqual([1, 1, 5, 5, 6, 5, 1, 1, 1, 1]);
    expect([...applyPatch(patch, bytes(3, 1))]).toEqual([1, 1, 5, 5, 6, 5, 0, 0, 0, 0]);
    expect([...applyPatch(patch, undefined)]).toEqual([0, 0, 5, 5, 6, 5, 0, 0, 0, 0]);
  });

  it('assembles an image from chunks, with zeros where none is stored', () => {
    const image = assembleImage(
      [
        { index: 2, bytes: bytes(10, 3) },
        { index: 0, bytes: bytes(C, 1) },
      ],
      2 * C + 20,
    );
    expect(image.length).toBe(2 * C + 20);
    expect(image.subarray(0, C).every((b) => b === 1)).toBe(true);
    expect(image.subarray(C, 2 * C).every((b) => b === 0)).toBe(true);
    expect([...image.subarray(2 * C)]).toEqual([...bytes(10, 3), ...bytes(10, 0)]);
  });

  it('refuses ranges past the image length and malformed arguments', () => {
    expect(() => checkImageWrite([{ offset: 8, bytes: bytes(3) }], 10)).toThrow(/runs past the image length 10/);
    expect(() => checkImageWrite([{ offset: -1, bytes: bytes(1) }], 10)).toThrow(RangeError);
    expect(() => checkImageWrite([{ offset: 0.5, bytes: bytes(1) }], 10)).toThrow(RangeError);
    expect(() => checkImageWrite([{ offset: 0, bytes: [1] as unknown as Uint8Array }], 10)).toThrow(/Uint8Array/);
    expect(() => checkImageWrite([], -1)).toThrow(/totalLength/);
    expect(() => checkImageWrite([], Number.NaN)).toThrow(/totalLength/);
    expect(() => checkImageWrite([{ offset: 7, bytes: bytes(3) }], 10)).not.toThrow();
  });
});
