import { describe, it, expect } from 'vitest';
import { ScheduleLog } from './schedule';

describe('ScheduleLog', () => {
  it('names the hart of every icount, merging repeats and replacing turns of no instructions', () => {
    const log = new ScheduleLog();
    log.note(0n, 0);
    log.note(100n, 1);
    log.note(100n, 2); // hart 1 retired nothing: hart 2 runs from 100
    log.note(250n, 2); // the same hart again: one turn
    log.note(300n, 0);
    log.note(50n, 1); // seen again after a seek back: ignored
    expect([0n, 99n, 100n, 299n, 300n, 10_000n].map((t) => log.hartAt(t))).toEqual([0, 0, 2, 2, 0, 0]);
    expect(log.length).toBe(3);
    expect(log.turns(0n, 400n)).toEqual([{ start: 0n, end: 100n, hart: 0 }, { start: 100n, end: 300n, hart: 2 }, { start: 300n, end: 400n, hart: 0 }]);
    expect(log.turns(150n, 320n)).toEqual([{ start: 150n, end: 300n, hart: 2 }, { start: 300n, end: 320n, hart: 0 }]);
  });

  it('finds the previous instruction of one hart', () => {
    const log = new ScheduleLog();
    log.note(100n, 1);
    log.note(200n, 0);
    log.note(300n, 1);
    expect(log.previousOn(1, 350n)).toBe(349n); // within its own turn
    expect(log.previousOn(1, 300n)).toBe(199n); // the end of its last turn
    expect(log.previousOn(0, 250n)).toBe(249n);
    expect(log.previousOn(0, 300n)).toBe(299n);
    expect(log.previousOn(0, 150n)).toBe(99n);
    expect(log.previousOn(1, 100n)).toBeUndefined();
    expect(log.previousOn(0, 0n)).toBeUndefined();
    log.clear();
    expect(log.hartAt(500n)).toBe(0);
  });
});
