/// <reference lib="webworker" />
// A history worker of the browser: replays segments of a recording with a write
// watchpoint for the engine worker (workers/replay/value-history.ts).
import { serveHistoryWorker, type ToWorker } from './replay/value-history';

serveHistoryWorker({
  post: (m) => self.postMessage(m),
  onMessage: (listener) => { self.onmessage = (e: MessageEvent<ToWorker>) => listener(e.data); },
});
