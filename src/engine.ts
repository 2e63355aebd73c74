// The page's only way to the engine: a comlink proxy to the engine worker.
// Engine code runs in the worker; this side imports its API as types only.
import { wrap, type Remote } from 'comlink';
import type { EngineApi } from '../workers/engine-api';

const worker = new Worker(new URL('../workers/engine.worker.ts', import.meta.url), {
  type: 'module',
  name: 'hindsight-engine',
});

export const engine: Remote<EngineApi> = wrap<EngineApi>(worker);

/**
 * Calls `listener` if the worker itself fails (its script does not load, or an
 * error escapes it); comlink calls would otherwise wait forever.
 */
export function onEngineFailure(listener: (message: string) => void): () => void {
  const handler = (event: ErrorEvent) => {
    listener(event.message ? `The engine failed: ${event.message}` : 'The engine could not be started.');
  };
  worker.addEventListener('error', handler);
  return () => worker.removeEventListener('error', handler);
}
