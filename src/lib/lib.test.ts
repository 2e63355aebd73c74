import { describe, expect, it } from 'vitest';
import { LatestRunner } from './latest';
import { consoleRuns, eventsUpTo } from './console-model';
import { consoleMarkers, visibleMarkers } from './markers';
import { formatRoute, parseRoute } from './route';
import type { ConsoleEvent } from '../../workers/engine-api';

describe('LatestRunner', () => {
  it('sends one request at a time and only the newest one waiting', async () => {
    const sent: number[] = [];
    const answered: number[] = [];
    const pending: (() => void)[] = [];
    const runner = new LatestRunner<number, number>(
      (n) => { sent.push(n); return new Promise((resolve) => pending.push(() => resolve(n * 10))); },
      (a) => answered.push(a),
      () => {},
    );
    for (let i = 1; i <= 5; i++) runner.request(i);
    expect(sent).toEqual([1]);
    pending.shift()!();
    await Promise.resolve(); await Promise.resolve();
    expect(sent).toEqual([1, 5]);
    runner.request(6);
    runner.request(7);
    pending.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([1, 5, 7]);
    pending.shift()!();
    await runner.idle();
    expect(answered).toEqual([10, 50, 70]);
    expect(runner.busy).toBe(false);
  });

  it('reports failures and goes on', async () => {
    const errors: unknown[] = [];
    const runner = new LatestRunner<number, number>(async (n) => { if (n === 1) throw new Error('no'); return n; }, () => {}, (e) => errors.push(e));
    runner.request(1);
    await runner.idle();
    runner.request(2);
    await runner.idle();
    expect(errors).toHaveLength(1);
  });
});

describe('the console at a position', () => {
  const events: ConsoleEvent[] = [
    { icount: 10, kind: 'stdout', text: 'a' },
    { icount: 10, kind: 'stdout', text: 'b' },
    { icount: 20, kind: 'stdin', text: 'x\n' },
    { icount: 30, kind: 'eof', text: '' },
    { icount: 40, kind: 'stdout', text: 'c' },
  ];
  it('counts the events up to and including t', () => {
    expect(eventsUpTo(events, 0)).toBe(0);
    expect(eventsUpTo(events, 10)).toBe(2);
    expect(eventsUpTo(events, 29)).toBe(3);
    expect(eventsUpTo(events, 1e9)).toBe(5);
  });
  it('merges runs of one kind and keeps the last characters', () => {
    expect(consoleRuns(events, 5).runs.map((r) => [r.kind, r.text])).toEqual([['stdout', 'ab'], ['stdin', 'x\n'], ['eof', ''], ['stdout', 'c']]);
    const { runs, dropped } = consoleRuns([{ icount: 1, kind: 'stdout', text: '0123456789' }], 1, 4);
    expect(runs[0].text).toBe('6789');
    expect(dropped).toBe(6);
  });
});

describe('timeline markers', () => {
  it('marks output and input, one per kind and pixel', () => {
    const m = consoleMarkers([{ icount: 5, kind: 'stdout', text: 'hi\n' }, { icount: 5, kind: 'stdout', text: 'x' }, { icount: 9, kind: 'eof', text: '' }]);
    expect(m).toEqual([{ kind: 'output', icount: 5, label: 'output: hi' }, { kind: 'input', icount: 9, label: 'input: end of input' }]);
    const many = Array.from({ length: 1000 }, (_, i) => ({ kind: 'output' as const, icount: i, label: '' }));
    expect(visibleMarkers(many, 0, 999, 100).length).toBeLessThanOrEqual(101);
    expect(visibleMarkers(many, 500, 510, 100).map((v) => v.marker.icount)).toEqual([500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510]);
  });
});

describe('routes', () => {
  it('round-trips through the hash', () => {
    for (const r of [
      { kind: 'recording', id: 'abc-1', t: 123456 },
      { kind: 'recording', id: '0123abcd', t: 14004, hart: 1, file: 'my run & co.hsr', size: 51234 },
      { kind: 'recording', id: 'abc-1' },
      { kind: 'example', name: 'hello', t: 0 },
    ] as const) {
      expect(parseRoute(formatRoute(r))).toEqual(r);
    }
    expect(parseRoute('')).toEqual({ kind: 'start' });
    // A bad instant is no instant (the recording opens where its user was), never a wrong one.
    expect(parseRoute('#rec=x&t=-5')).toEqual({ kind: 'recording', id: 'x' });
    expect(parseRoute('#rec=x&t=99999999999999999999')).toEqual({ kind: 'recording', id: 'x' });
    expect(parseRoute('#rec=x&t=5&h=9&size=abc')).toEqual({ kind: 'recording', id: 'x', t: 5 });
  });
});
