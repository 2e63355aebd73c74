// A small typed hook for end-to-end tests (e2e/), installed in every build:
// it only reads state, so it is harmless in production.
//
//   await page.evaluate(() => window.__hindsight!.state())
import type { Remote } from 'comlink';
import type { EngineApi, MachineState } from '../workers/engine-api';

export interface HindsightTestHook {
  /** The engine's current state (program, status, last stop, registers, CSRs). */
  state(): Promise<MachineState>;
}

declare global {
  interface Window {
    __hindsight?: HindsightTestHook;
  }
}

export function installTestHook(engine: Remote<EngineApi>): void {
  window.__hindsight = { state: () => engine.state() };
}
