// The controller's side of the lanes of the run (computed a step at a time, between the user's requests)
// and of the End key (first the end of the user's code, then the last instruction).
import { describe, expect, it, vi } from 'vitest';
import { DebuggerController, type EngineLike } from './controller';
import { answer, opened, status } from '../test/fixtures';
import type { RunLanes, UserEndInfo } from '../../workers/engine-api';

const lanes = (o: Partial<RunLanes> = {}): RunLanes => ({
  length: 1000, done: false, fraction: 0.5, calls: [], samples: 10, traps: [], trapsScannedTo: 0, trapsTruncated: false, userEnd: null, ...o,
});

function fakeEngine(userEnd: UserEndInfo | null, steps: RunLanes[]) {
  const engine = {
    seek: vi.fn(async (t: number) => answer(t, { status: status({ ended: { reason: 'exit', exitCode: 1 } }) })),
    view: vi.fn(async () => answer(1000).view),
    userEnd: vi.fn(async () => userEnd),
    runLanes: vi.fn(async () => steps.shift() ?? null),
  };
  return { engine: engine as unknown as EngineLike, mock: engine };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the End key', () => {
  it('goes to where the user code last ran, then to the last instruction', async () => {
    const { engine, mock } = fakeEngine({ icount: 900, via: 'return' }, []);
    const c = new DebuggerController(engine, opened(1000, { ended: { reason: 'exit', exitCode: 1 }, length: 1000 }));
    await c.goToEnd();
    await c.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(900, expect.anything());
    expect(c.state.view.icount).toBe(900);
    await c.goToEnd();
    await c.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(1000, expect.anything());
    // From the last instruction, or from inside the C library's exit: the end of the user code again; the engine was asked once.
    await c.goToEnd();
    await c.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(900, expect.anything());
    c.seek(950);
    await c.settled();
    await c.goToEnd();
    await c.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(900, expect.anything());
    expect(mock.userEnd).toHaveBeenCalledTimes(1);
    c.dispose();
  });

  it('goes to the last instruction when the user code has no end to show (or the run goes on)', async () => {
    const { engine, mock } = fakeEngine(null, []);
    const c = new DebuggerController(engine, opened(10, { ended: { reason: 'exit', exitCode: 0 }, length: 1000 }));
    await c.goToEnd();
    await c.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(1000, expect.anything());
    const live = new DebuggerController(engine, opened(10, { ended: null, length: 500, phase: 'live' }));
    await live.goToEnd();
    await live.settled();
    expect(mock.seek).toHaveBeenLastCalledWith(500, expect.anything());
    expect(mock.userEnd).toHaveBeenCalledTimes(1);
    c.dispose();
    live.dispose();
  });
});

describe('the lanes of the run', () => {
  it('are asked for a step at a time until done, each answer shown', async () => {
    const { engine, mock } = fakeEngine(null, [lanes({ samples: 5 }), lanes({ samples: 10, done: true, fraction: 1 })]);
    const c = new DebuggerController(engine, opened(0, { length: 1000 }));
    await vi.waitFor(() => expect(c.state.lanes?.done).toBe(true));
    expect(c.state.lanes?.samples).toBe(10);
    expect(mock.runLanes).toHaveBeenCalledTimes(2);
    await wait(50);
    expect(mock.runLanes).toHaveBeenCalledTimes(2);
    c.dispose();
  });

  it('wait while the user scrubs', async () => {
    const { engine, mock } = fakeEngine(null, [lanes(), lanes({ done: true })]);
    const c = new DebuggerController(engine, opened(0, { length: 1000 }));
    c.seek(500);
    await vi.waitFor(() => expect(mock.runLanes).toHaveBeenCalledTimes(1));
    await c.settled();
    await wait(150);
    // The seek came first, and the lanes wait a little after it.
    expect(mock.runLanes).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(c.state.lanes?.done).toBe(true), { timeout: 2000 });
    c.dispose();
  });
});
