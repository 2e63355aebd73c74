import { describe, expect, it, vi } from 'vitest';
import { DebuggerController, type EngineLike } from './controller';
import { answer, opened, view } from '../test/fixtures';
import type { MotionAnswer, ProgressEvent, TrapInfo } from '../../workers/engine-api';

/** A fake engine whose seeks answer when the test says. */
function fakeEngine() {
  const seeks: { t: number; resolve: (a: MotionAnswer) => void }[] = [];
  let traps: TrapInfo[] = [];
  let position = 0;
  const engine = {
    seek: vi.fn((t: number) => new Promise<MotionAnswer>((resolve) => seeks.push({ t, resolve: (a) => { position = a.view.icount; resolve(a); } }))),
    move: vi.fn(async (_m: string, _r: unknown, listener: (e: ProgressEvent) => void) => {
      listener({ kind: 'console', events: [{ icount: 500, kind: 'stdout', text: 'hi' }] });
      return answer(700, { result: { reason: 'breakpoint', icount: 700, pc: view(700).pc, breakpointId: 1 } });
    }),
    view: vi.fn(async () => view(position, { memory: { at: 'sp', address: 0, bytes: new Uint8Array(16), readable: [true], target: 0, targetSize: 1 } })),
    addBreakpoint: vi.fn(async (where: number | string) => {
      traps = [...traps, { id: traps.length + 1, kind: 'breakpoint', address: typeof where === 'number' ? where : 0, label: String(where), enabled: true }];
      return traps;
    }),
    deleteTrap: vi.fn(async (id: number) => { traps = traps.filter((t) => t.id !== id); return traps; }),
    setTrapEnabled: vi.fn(async () => { throw new Error('refused'); }),
    pause: vi.fn(async () => {}),
  };
  return { engine: engine as unknown as EngineLike, mock: engine, seeks };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DebuggerController', () => {
  it('coalesces scrubbing: one seek in flight, then only the newest position', async () => {
    const { engine, mock, seeks } = fakeEngine();
    const c = new DebuggerController(engine, opened(0));
    await tick();
    for (let t = 1; t <= 50; t++) c.seek(t * 10);
    expect(mock.seek).toHaveBeenCalledTimes(1);
    expect(c.state.position).toBe(500);
    expect(c.state.seeking).toBe(true);
    seeks.shift()!.resolve(answer(10));
    await tick();
    // The answer for 10 is shown, but the thumb stays where the pointer is; 500 goes next.
    expect(c.state.view.icount).toBe(10);
    expect(c.state.position).toBe(500);
    expect(mock.seek).toHaveBeenCalledTimes(2);
    expect(seeks[0].t).toBe(500);
    seeks.shift()!.resolve(answer(500));
    await c.settled();
    expect(c.state.view.icount).toBe(500);
    expect(c.state.previous?.icount).toBe(10);
    expect(c.state.seeking).toBe(false);
    expect(c.stats.seeksRequested).toBe(50);
    expect(c.stats.seeksAnswered).toBe(2);
  });

  it('clamps seeks to the recording', async () => {
    const { engine, seeks } = fakeEngine();
    const c = new DebuggerController(engine, opened(0));
    c.seek(-5);
    expect(seeks[0].t).toBe(0);
    seeks.shift()!.resolve(answer(0));
    await tick();
    c.seek(1e12);
    expect(seeks[0].t).toBe(1000);
  });

  it('runs a motion after the seek in flight, collects its console output and marks the hit', async () => {
    const { engine, mock, seeks } = fakeEngine();
    const c = new DebuggerController(engine, opened(0));
    c.seek(100);
    const moving = c.move('continue');
    await tick();
    expect(mock.move).not.toHaveBeenCalled();
    seeks.shift()!.resolve(answer(100));
    await moving;
    expect(mock.move).toHaveBeenCalledTimes(1);
    expect(c.state.view.icount).toBe(700);
    expect(c.state.lastStop?.reason).toBe('breakpoint');
    expect(c.state.hits).toEqual([{ kind: 'breakpoint', icount: 700, label: 'breakpoint' }]);
    expect(c.state.console.map((e) => e.text)).toEqual(['hi']);
    expect(c.state.busy).toBeNull();
    // No scrubbing while a motion runs.
    c.store.set({ busy: { kind: 'motion', activity: 'x' } });
    c.seek(5);
    expect(mock.seek).toHaveBeenCalledTimes(1);
  });

  it('toggles breakpoints by address, and puts back a change the engine refuses', async () => {
    const { engine, mock } = fakeEngine();
    const c = new DebuggerController(engine, opened(0));
    await c.toggleBreakpoint(0x80000004);
    expect(c.state.traps.map((t) => t.address)).toEqual([0x80000004]);
    await c.toggleBreakpoint(0x80000004);
    expect(mock.deleteTrap).toHaveBeenCalledWith(1);
    expect(c.state.traps).toEqual([]);
    await c.toggleBreakpoint(0x80000008);
    const ok = await c.setTrapEnabled(1, false);
    expect(ok).toBe(false);
    expect(c.state.traps[0].enabled).toBe(true);
    expect(c.state.error).toBe('refused');
  });

  it('writes the place in the URL once the position settles', async () => {
    vi.useFakeTimers();
    try {
      const onRoute = vi.fn();
      const { engine, seeks } = fakeEngine();
      const c = new DebuggerController(engine, opened(0), { onRoute });
      c.seek(42);
      seeks.shift()!.resolve(answer(42));
      await vi.advanceTimersByTimeAsync(300);
      expect(onRoute).toHaveBeenLastCalledWith({ kind: 'recording', id: 'rec-1', t: 42 });
      c.dispose();
    } finally {
      vi.useRealTimers();
    }
  });
});
