// Node's history workers (workers/replay/value-history.ts): worker_threads
// running this same bundle, which serves history tasks when started as one.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { serveHistoryWorker, type FromWorker, type HistoryChannel, type ToWorker } from '../replay/value-history';

const MARK = 'hindsight-value-history';

/** A spawner of worker threads that run `script` (a bundle whose entry calls serveIfHistoryWorker first). */
export function nodeHistorySpawner(script: URL | string): () => HistoryChannel {
  return () => {
    const w = new Worker(script, { workerData: { [MARK]: true } });
    w.unref();
    let listener: ((m: FromWorker) => void) | undefined;
    w.on('message', (m: FromWorker) => listener?.(m));
    w.on('error', (e) => listener?.({ type: 'error', message: e.message }));
    return {
      post: (m: ToWorker) => w.postMessage(m),
      onMessage: (l) => { listener = l; },
      terminate: () => { void w.terminate(); },
    };
  };
}

/** As many workers as cores. */
export function historyWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** When this thread was started as a history worker: serves it and returns true. */
export function serveIfHistoryWorker(): boolean {
  if (isMainThread || !parentPort || !(workerData as Record<string, unknown> | null)?.[MARK]) return false;
  const port = parentPort;
  serveHistoryWorker({ post: (m) => port.postMessage(m), onMessage: (l) => port.on('message', l) });
  return true;
}
