/// <reference lib="webworker" />
// The engine worker: owns the Timeline of the open recording, the recordings
// stored in this browser (IndexedDB) and the examples, and exposes `EngineApi`
// to the page with comlink. Nothing else in the browser touches the engine.
import { MAX_HARTS, DEFAULT_QUANTUM } from './engine/machine';
import { expose, releaseProxy, type Local, type Remote } from 'comlink';
import coreUrl from '../build/core.release.wasm?url';
import type {
  EngineApi, EngineState, ExampleInfo, Motion, MotionAnswer, OpenAnswer, PositionView, ProgressEvent, ProgressListener,
  SnapshotImageAnswer, StorageOverview, TrapInfo, ViewRequest, HartLanes, WatchAccess, HistoryAnswer, NoteInfo, VariableNode, VariablesView,
  RunLanes, UserEndInfo,
} from './engine-api';
import { pooledSpawner, type FromWorker, type HistoryChannel, type ToWorker } from './replay/value-history';
import { Timeline } from './replay/timeline';
import { DEFAULT_RAM_MIB } from './engine/memory-map';
import { RECORDING_MAGIC, parseRecording, type ParsedRecording } from './formats/recording';
import { RecordingNotFoundError, RecordingStore } from './storage';
import { Session, withSources, type Progress } from './ui-host/session';
import { withAnnotations } from './ui-host/annotations';
import type { Annotations } from './formats/annotations';
import { LiveInput } from './ui-host/live-input';
import { interruptionOf } from './ui-host/saver';
import { snapshotBudget, checkSettingMiB, type SnapshotBudget } from './ui-host/snapshot-budget';
import { MAX_SOURCE_BYTES } from './ui-host/sources';

const EXAMPLES_DIR = new URL(`${import.meta.env.BASE_URL}examples/`, self.location.origin);

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function fetchOk(url: URL, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`Could not fetch ${what}: ${messageOf(e)}`);
  }
  // A static server with an SPA fallback answers a missing file with index.html.
  if (!response.ok || (response.headers.get('content-type') ?? '').includes('text/html')) {
    throw new Error(`Could not fetch ${what}: ${response.ok ? 'not found' : `${response.status} ${response.statusText}`.trim()}`);
  }
  return response;
}

function parseExamples(json: unknown): ExampleInfo[] {
  if (!Array.isArray(json)) throw new Error('examples.json is not a list');
  return json.flatMap((e: unknown): ExampleInfo[] => {
    if (typeof e !== 'object' || e === null) return [];
    const { name, elf, description, sources, stdin } = e as Record<string, unknown>;
    if (typeof name !== 'string' || typeof elf !== 'string' || !/^[\w.-]+$/.test(elf)) return [];
    return [{
      name,
      elf,
      description: typeof description === 'string' ? description : '',
      sources: Array.isArray(sources) ? sources.filter((s): s is string => typeof s === 'string' && /^[\w.-]+$/.test(s)) : [],
      ...(typeof stdin === 'string' ? { stdin } : {}),
    }];
  });
}

/** What a dropped or picked file is, by its first bytes (then by its name). */
function sniff(bytes: Uint8Array, name: string): 'elf' | 'recording' | 'unknown' {
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return 'elf';
  if (bytes.length >= 5 && RECORDING_MAGIC.subarray(0, 5).every((b, i) => bytes[i] === b)) return 'recording';
  if (/\.hsr$/i.test(name)) return 'recording';
  if (/\.elf$/i.test(name)) return 'elf';
  return 'unknown';
}

const baseName = (name: string): string => name.replace(/^.*[\\/]/, '');

function progressOf(listener: Remote<ProgressListener> | undefined): Progress | undefined {
  if (!listener) return undefined;
  return (event: ProgressEvent) => { listener(event).catch(() => {}); };
}

function release(listener: Remote<ProgressListener> | undefined): void {
  try {
    listener?.[releaseProxy]();
  } catch {
    // already released
  }
}

/** A Web Worker replaying segments for a value's history (one per core). */
function spawnHistoryWorker(): HistoryChannel {
  const w = new Worker(new URL('./history.worker.ts', import.meta.url), { type: 'module', name: 'hindsight-history' });
  let listener: ((m: FromWorker) => void) | undefined;
  w.onmessage = (e: MessageEvent<FromWorker>) => listener?.(e.data);
  w.onerror = (e) => listener?.({ type: 'error', message: e.message || 'the history worker failed to start' });
  return {
    post: (m: ToWorker) => w.postMessage(m),
    onMessage: (l) => { listener = l; },
    terminate: () => w.terminate(),
  };
}

/** History workers stay alive between histories. */
const historyWorkers = pooledSpawner(spawnHistoryWorker);

class Engine implements Local<EngineApi> {
  private modulePromise: Promise<WebAssembly.Module> | undefined;
  private storePromise: Promise<{ store: RecordingStore | null; problem: string | null }> | undefined;
  private examples: Promise<ExampleInfo[]> | undefined;
  private session: Session | undefined;
  /** The snapshot budget setting in MiB, or null for the default. */
  private snapshotBudgetMiB: number | null = null;
  /** Harts for the programs opened from now on (setHarts). */
  private harts = 1;
  /** Counts opens: a session whose open was overtaken by a newer one is closed, not adopted. */
  private generation = 0;

  private module(): Promise<WebAssembly.Module> {
    this.modulePromise ??= (async () => {
      const response = await fetchOk(new URL(coreUrl, self.location.href), 'the CPU core');
      return WebAssembly.compile(await response.arrayBuffer());
    })();
    this.modulePromise.catch(() => { this.modulePromise = undefined; });
    return this.modulePromise;
  }

  private store(): Promise<{ store: RecordingStore | null; problem: string | null }> {
    this.storePromise ??= RecordingStore.open().then(
      (store) => ({ store, problem: null }),
      (e: unknown) => ({ store: null, problem: `recordings cannot be saved in this browser: ${messageOf(e)}` }),
    );
    return this.storePromise;
  }

  private current(): Session {
    if (!this.session) throw new Error('No recording is open.');
    return this.session;
  }

  /** Makes `session` the open one, unless a newer open started meanwhile. */
  private adopt(session: Session, generation: number): void {
    if (generation !== this.generation) {
      void session.close();
      throw new Error('Another recording was opened meanwhile.');
    }
    this.session = session;
  }

  /** Closes the open session; returns the generation a new session opened after this must carry. */
  private async closeSession(): Promise<number> {
    const generation = ++this.generation;
    const session = this.session;
    this.session = undefined;
    if (session) await session.close();
    return generation;
  }

  // ---- the start page ----

  listExamples(): Promise<ExampleInfo[]> {
    this.examples ??= (async () => {
      const response = await fetchOk(new URL('examples.json', EXAMPLES_DIR), 'the list of examples');
      let json: unknown;
      try {
        json = await response.json();
      } catch (e) {
        throw new Error(`The list of examples is not valid JSON: ${messageOf(e)}`);
      }
      return parseExamples(json);
    })();
    this.examples.catch(() => { this.examples = undefined; });
    return this.examples;
  }

  async listRecordings(): Promise<StorageOverview> {
    const { store, problem } = await this.store();
    if (!store) return { recordings: [], problem: problem ?? 'storage is not available' };
    try {
      const list = await store.list();
      const usage = await store.usage().catch(() => undefined);
      return {
        recordings: list.map((r) => ({
          id: r.id, name: r.name, programName: r.programName, createdAt: r.createdAt, updatedAt: r.updatedAt,
          length: Number(r.length), ended: r.ended, bytes: r.sizes.total,
        })),
        ...(usage?.estimate ? { estimate: usage.estimate } : {}),
        snapshotBudget: await this.snapshotBudget(),
      };
    } catch (e) {
      return { recordings: [], problem: `the stored recordings could not be listed: ${messageOf(e)}` };
    }
  }

  async setHarts(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_HARTS) throw new Error(`The number of harts must be from 1 to ${MAX_HARTS}, not ${count}.`);
    this.harts = count;
  }

  async hartLanes(buckets: number): Promise<HartLanes> {
    return this.session ? this.session.hartLanes(buckets) : { lanes: [], ipis: [] };
  }

  async runLanes(budgetMs: number): Promise<RunLanes | null> {
    return this.session ? this.session.runLanes(budgetMs) : null;
  }

  async userEnd(): Promise<UserEndInfo | null> {
    return this.current().userEnd();
  }

  async setSnapshotBudget(settingMiB: number | null): Promise<SnapshotBudget> {
    this.snapshotBudgetMiB = settingMiB === null ? null : checkSettingMiB(settingMiB);
    const budget = await this.snapshotBudget();
    this.session?.timeline.snapshots.setBudget(budget.bytes);
    return budget;
  }

  /** The budget for new timelines: the setting, or a fraction of the quota the browser grants. */
  private async snapshotBudget(): Promise<SnapshotBudget> {
    const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<{ quota?: number }> } } }).navigator?.storage;
    const quota = await storage?.estimate?.().then((e) => e.quota, () => undefined);
    return snapshotBudget(this.snapshotBudgetMiB, quota);
  }

  private async requireStore(): Promise<RecordingStore> {
    const { store, problem } = await this.store();
    if (!store) throw new Error(`Recordings cannot be used: ${problem}`);
    return store;
  }

  async renameRecording(id: string, name: string): Promise<void> {
    const store = await this.requireStore();
    const trimmed = name.trim();
    if (trimmed === '') throw new Error('A recording needs a name.');
    await store.rename(id, trimmed);
  }

  async deleteRecording(id: string): Promise<void> {
    if (this.session?.status().recordingId === id) await this.closeSession();
    const store = await this.requireStore();
    await store.delete(id);
  }

  async exportRecording(id: string): Promise<{ name: string; bytes: Uint8Array }> {
    const store = await this.requireStore();
    const info = await store.get(id);
    if (!info) throw new Error('This recording is no longer stored in this browser.');
    if (this.session?.status().recordingId === id) return this.session.exportFile();
    const bytes = withAnnotations(withSources(await store.exportFile(id), (await store.getSources(id)) ?? {}), await store.getAnnotations(id));
    return { name: `${info.name.replace(/\.(elf|hsr)$/i, '')}.hsr`, bytes };
  }

  // ---- opening ----

  private async fetchExample(name: string): Promise<{ example: ExampleInfo; elf: Uint8Array; sources: Record<string, string> }> {
    const example = (await this.listExamples()).find((e) => e.name === name);
    if (!example) throw new Error(`There is no example called "${name}".`);
    const response = await fetchOk(new URL(example.elf, EXAMPLES_DIR), example.elf);
    const elf = new Uint8Array(await response.arrayBuffer());
    const sources: Record<string, string> = {};
    await Promise.all(example.sources.map(async (file) => {
      try {
        const r = await fetchOk(new URL(file, EXAMPLES_DIR), file);
        sources[file] = await r.text();
      } catch {
        // The source view says the file is missing; the program still runs.
      }
    }));
    return { example, elf, sources };
  }

  async openExample(name: string, request: ViewRequest): Promise<OpenAnswer> {
    const generation = await this.closeSession();
    const { example, elf, sources } = await this.fetchExample(name);
    const session = await this.newRecording(generation, elf, example.elf, sources, example);
    await session.startAtMain();
    return { session: session.info(), view: session.view(request) };
  }

  private async newRecording(generation: number, bytes: Uint8Array, fileName: string, sources: Record<string, string>,
    example?: ExampleInfo, disk?: { bytes: Uint8Array; name: string }): Promise<Session> {
    const module = await this.module();
    const input = new LiveInput();
    let timeline: Timeline;
    if (disk && (disk.bytes.length === 0 || disk.bytes.length % 512 !== 0)) {
      throw new Error(`Cannot use ${baseName(disk.name)} as a disk image: it must be a whole number of 512-byte sectors, and it is ${disk.bytes.length} bytes.`);
    }
    try {
      timeline = await Timeline.record(module, bytes, fileName,
        { ramMiB: DEFAULT_RAM_MIB, commandLine: fileName, ...(disk ? { disk: disk.bytes } : {}),
          ...(this.harts > 1 ? { harts: { count: this.harts, quantum: DEFAULT_QUANTUM, seed: 0 } } : {}) }, input, 'browser',
        { budgetBytes: (await this.snapshotBudget()).bytes });
    } catch (e) {
      throw new Error(`Cannot load ${fileName}${disk ? ` with the disk ${baseName(disk.name)}` : ''}: ${messageOf(e)}`);
    }
    const { store, problem } = await this.store();
    const session = await Session.open({
      timeline, name: fileName, programName: fileName, sources, store, storageProblem: problem, input,
      ...(example ? { example } : {}),
    });
    this.adopt(session, generation);
    return session;
  }

  async openFile(bytes: Uint8Array, name: string, request: ViewRequest, listener: Remote<ProgressListener>,
    disk?: { bytes: Uint8Array; name: string }): Promise<OpenAnswer> {
    try {
      const fileName = baseName(name);
      const kind = sniff(bytes, fileName);
      if (kind === 'unknown') {
        throw new Error(`Cannot open ${fileName}: it is neither a RISC-V ELF executable nor a Hindsight recording (.hsr).`);
      }
      if (disk && kind !== 'elf') throw new Error(`A disk image goes with a program to run, and ${fileName} is a recording (it holds its own disk, if it has one).`);
      const generation = await this.closeSession();
      if (kind === 'elf') {
        const session = await this.newRecording(generation, bytes, fileName, {}, undefined, disk);
        await session.startAtMain();
        return { session: session.info(), view: session.view(request) };
      }
      let parsed: ParsedRecording;
      try {
        parsed = parseRecording(bytes);
      } catch (e) {
        throw new Error(`Cannot open ${fileName}: ${messageOf(e)}`);
      }
      const { store, problem } = await this.store();
      let recordingId: string | null = null;
      let storageProblem = problem;
      const displayName = fileName.replace(/\.hsr$/i, '') || parsed.meta.name;
      if (store) {
        try {
          recordingId = await store.importFile(bytes, displayName);
        } catch (e) {
          storageProblem = `the recording is open but could not be saved in this browser: ${messageOf(e)}`;
        }
      }
      return await this.openParsed(parsed, {
        recordingId, name: displayName, sources: {}, store, storageProblem, request, progress: progressOf(listener),
        ...(recordingId && store ? { annotations: await store.getAnnotations(recordingId).catch(() => parsed.annotations) } : parsed.annotations ? { annotations: parsed.annotations } : {}),
      }, generation);
    } finally {
      release(listener);
    }
  }

  async hasRecording(id: string): Promise<boolean> {
    const { store } = await this.store();
    if (!store || typeof id !== 'string' || id === '') return false;
    return (await store.get(id).catch(() => undefined)) !== undefined;
  }

  async openLinkedFile(bytes: Uint8Array, name: string, id: string, at: number, request: ViewRequest, listener: Remote<ProgressListener>): Promise<OpenAnswer> {
    const fileName = baseName(name);
    let fileId: string;
    try {
      fileId = parseRecording(bytes).id;
    } catch (e) {
      release(listener);
      throw new Error(`Cannot open ${fileName}: ${messageOf(e)}`);
    }
    if (fileId !== id) {
      release(listener);
      throw new Error(`${fileName} is another recording (id ${fileId}); the link is for recording ${id}.`);
    }
    const store = await this.requireStore().catch((e: unknown) => { release(listener); throw e; });
    await store.importFile(bytes, fileName.replace(/\.hsr$/i, '') || undefined).catch((e: unknown) => { release(listener); throw new Error(`Cannot store ${fileName} in this browser: ${messageOf(e)}`); });
    return this.openRecording(id, at, request, listener);
  }

  async openRecording(id: string, at: number | undefined, request: ViewRequest, listener: Remote<ProgressListener>): Promise<OpenAnswer> {
    try {
      const generation = await this.closeSession();
      const store = await this.requireStore();
      const info = await store.get(id);
      if (!info) throw new Error('This recording is not stored in this browser (it may have been deleted).');
      let bytes: Uint8Array;
      try {
        bytes = await store.exportFile(id);
      } catch (e) {
        if (e instanceof RecordingNotFoundError) throw new Error('This recording is not stored in this browser (it may have been deleted).');
        throw new Error(`Cannot read the stored recording: ${messageOf(e)}`);
      }
      let parsed: ParsedRecording;
      try {
        parsed = parseRecording(bytes);
      } catch (e) {
        throw new Error(`The stored recording ${info.name} cannot be read: ${messageOf(e)}`);
      }
      const sources = (await store.getSources(id).catch(() => undefined)) ?? {};
      const annotations = await store.getAnnotations(id).catch(() => undefined);
      return await this.openParsed(parsed, {
        recordingId: id, name: info.name, sources, store, storageProblem: null, request, progress: progressOf(listener),
        ...(at !== undefined ? { at } : {}), ...(annotations ? { annotations } : {}),
        truncation: parsed.truncation ?? interruptionOf(info, parsed),
      }, generation);
    } finally {
      release(listener);
    }
  }

  private async openParsed(parsed: ParsedRecording, o: {
    recordingId: string | null; name: string; sources: Record<string, string>; store: RecordingStore | null;
    storageProblem: string | null; at?: number; request: ViewRequest; progress: Progress | undefined; truncation?: string;
    annotations?: Annotations;
  }, generation: number): Promise<OpenAnswer> {
    // Without an instant asked for, where the user (or the teammate who shared the file) was.
    const saved = o.annotations?.position;
    const at = o.at ?? (saved ? Number(saved.icount) : 0);
    const request = o.request.hart === undefined && saved && o.at === undefined ? { ...o.request, hart: saved.hart } : o.request;
    const module = await this.module();
    let timeline: Timeline;
    try {
      timeline = await Timeline.replay(module, parsed, { budgetBytes: (await this.snapshotBudget()).bytes });
    } catch (e) {
      throw new Error(`Cannot open ${o.name}: ${messageOf(e)}`);
    }
    const session = await Session.open({
      timeline, name: o.name, programName: parsed.meta.name, sources: { ...(parsed.sources ?? {}), ...o.sources },
      store: o.store, storageProblem: o.storageProblem, recordingId: o.recordingId,
      ...(o.truncation ?? parsed.truncation ? { truncation: o.truncation ?? parsed.truncation } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    });
    this.adopt(session, generation);
    try {
      await session.prime(at, o.progress);
    } catch (e) {
      throw new Error(`Cannot replay ${o.name}: ${messageOf(e)}`);
    }
    return { session: session.info(), view: session.view(request) };
  }

  async close(): Promise<void> {
    await this.closeSession();
  }

  // ---- recording ----

  async record(request: ViewRequest, listener: Remote<ProgressListener>): Promise<MotionAnswer> {
    try {
      return await this.current().record(request, progressOf(listener) as Progress);
    } finally {
      release(listener);
    }
  }

  stop(): void {
    this.session?.stop();
  }

  sendInput(text: string): void {
    this.current().sendInput(text);
  }

  endInput(): void {
    this.current().endInput();
  }

  // ---- travel ----

  seek(icount: number, request: ViewRequest): Promise<MotionAnswer> {
    return this.current().seek(icount, request);
  }

  async move(motion: Motion, request: ViewRequest, listener: Remote<ProgressListener>): Promise<MotionAnswer> {
    try {
      return await this.current().move(motion, request, progressOf(listener) as Progress);
    } finally {
      release(listener);
    }
  }

  async runToLine(file: string, line: number, direction: 'backward' | 'forward', request: ViewRequest, listener: Remote<ProgressListener>): Promise<MotionAnswer> {
    try {
      return await this.current().runToLine(file, line, direction, request, progressOf(listener) as Progress);
    } finally {
      release(listener);
    }
  }

  pause(): void {
    this.session?.pause();
  }

  view(request: ViewRequest): PositionView {
    return this.current().view(request);
  }

  // ---- breakpoints and watchpoints ----

  /** Breakpoints and watchpoints are saved with the recording as they change. */
  private trapsChanged(traps: TrapInfo[]): TrapInfo[] {
    this.session?.annotations.trapsChanged();
    return traps;
  }

  completeLocation(prefix: string): string[] {
    return this.session ? this.session.completeLocation(String(prefix).slice(0, 200)) : [];
  }

  // ---- notes ----

  addNote(text: string, at?: number, end?: number): NoteInfo[] {
    return this.current().addNote(text, at, end);
  }

  editNote(id: number, text: string): NoteInfo[] {
    return this.current().annotations.edit(id, text);
  }

  deleteNote(id: number): NoteInfo[] {
    return this.current().annotations.remove(id);
  }

  addBreakpoint(where: number | string): TrapInfo[] {
    return this.trapsChanged(this.current().addBreakpoint(where));
  }

  addSourceBreakpoint(file: string, line: number): TrapInfo[] {
    return this.trapsChanged(this.current().addSourceBreakpoint(file, line));
  }

  addWatchpoint(where: number | string, length: number, access: WatchAccess): TrapInfo[] {
    return this.trapsChanged(this.current().addWatchpoint(where, length, access));
  }

  deleteTrap(id: number): TrapInfo[] {
    return this.trapsChanged(this.current().deleteTrap(id));
  }

  setTrapEnabled(id: number, enabled: boolean): TrapInfo[] {
    return this.trapsChanged(this.current().setTrapEnabled(id, enabled));
  }

  resolve(where: string): { address: number; size: number; label: string } {
    return this.current().resolve(where);
  }

  // ---- sources ----

  sourceText(name: string): string {
    return this.current().sourceText(name);
  }

  addSources(files: Record<string, string>): Promise<string[]> {
    const accepted: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      if (typeof text === 'string' && text.length <= MAX_SOURCE_BYTES) accepted[baseName(name)] = text;
    }
    return this.current().addSources(accepted);
  }

  lineAddresses(file: string, line: number): number[] {
    return this.current().lineAddresses(file, line);
  }

  // ---- variables ----

  variables(frame: number, expressions: string[]): VariablesView {
    return this.current().variables(frame, expressions);
  }

  expandVariable(frame: number, expression: string, from?: number): VariableNode[] {
    return this.current().expandVariable(frame, expression, from);
  }

  async valueHistory(expression: string, frame: number, listener: Remote<ProgressListener>): Promise<HistoryAnswer> {
    try {
      const wasm = await this.module();
      return await this.current().valueHistory(expression, frame, {
        spawn: historyWorkers.spawn, wasm, workers: Math.max(1, navigator.hardwareConcurrency || 2),
      }, progressOf(listener));
    } finally {
      release(listener);
    }
  }

  // ---- export ----

  exportSession(): Promise<{ name: string; bytes: Uint8Array }> {
    return this.current().exportFile();
  }

  exportSnapshotImage(): Promise<SnapshotImageAnswer> {
    return this.current().exportSnapshotImage();
  }

  // ---- tests ----

  engineState(): EngineState {
    return this.current().engineState();
  }
}

expose(new Engine());
