// A small typed hook for end-to-end tests (e2e/), installed in every build:
// it only reads state, so it is harmless in production.
//
//   await page.evaluate(() => window.__hindsight!.engineState())
import type { Remote } from 'comlink';
import type { EngineApi, EngineState } from '../workers/engine-api';
import type { DebuggerController } from './debugger/controller';

export interface HindsightTestHook {
  /** Whether a recording is open in the debugger. */
  ready(): boolean;
  /** Resolves once no seek or motion is in flight and the page shows the latest answer. */
  settled(): Promise<void>;
  /** The engine's state at the current position (once settled), read from the machine in the worker. */
  engineState(): Promise<EngineState>;
  /** Seeks asked for and answered since the recording was opened, views shown, and the last seeks' round trips. */
  stats(): { seeksRequested: number; seeksAnswered: number; views: number; seekRoundTripsMs: number[] } | null;
}

declare global {
  interface Window {
    __hindsight?: HindsightTestHook;
  }
}

let controller: DebuggerController | null = null;

export function setHookController(c: DebuggerController | null): void {
  controller = c;
}

export function installTestHook(engine: Remote<EngineApi>): void {
  window.__hindsight = {
    ready: () => controller !== null,
    settled: async () => { await controller?.settled(); },
    engineState: async () => {
      await controller?.settled();
      return engine.engineState();
    },
    stats: () => (controller ? { ...controller.stats, seekRoundTripsMs: [...controller.stats.seekRoundTripsMs] } : null),
  };
}
