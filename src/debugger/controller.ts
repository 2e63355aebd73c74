// The page's side of a debugging session: the state the panels show and the
// actions they call. It talks to the engine worker only through EngineApi.
//
// Scrubbing goes through a LatestRunner: one seek in flight, and only the
// newest wanted position is sent next. Motions (steps, continues, recording)
// wait for a seek in flight and run one at a time; Pause interrupts them.
import { proxy } from 'comlink';
import type {
  ConsoleEvent, EngineApi, ExecutedLines, Motion, MotionAnswer, MotionSummary, OpenAnswer, PositionView, ProgressEvent, SessionInfo,
  SessionStatus, TrapInfo, ViewRequest, WatchAccess, HistoryAnswer, VariableNode, VariablesView, HartLanes, NoteInfo, RunLanes, UserEndInfo,
} from '../../workers/engine-api';
import { recordingIdOf } from '../../workers/formats/recording';
import { formatRoute } from '../lib/route';
import { LatestRunner } from '../lib/latest';
import { Store } from '../lib/store';
import type { Marker } from '../lib/markers';
import type { Route } from '../lib/route';
import { download } from '../lib/download';

/** The engine calls the controller makes (a comlink Remote<EngineApi>, or a fake in tests). */
export type EngineLike = {
  [K in keyof EngineApi]: (...args: Parameters<EngineApi[K]>) => Promise<Awaited<ReturnType<EngineApi[K]>>>;
};

export interface Busy {
  kind: 'record' | 'motion';
  motion?: Motion;
  activity: string;
  icount?: number;
  fraction?: number;
  speed?: number;
}

export interface DebuggerState {
  info: SessionInfo;
  status: SessionStatus;
  view: PositionView;
  /** The view before the last motion or seek: what changed is highlighted. */
  previous: PositionView | null;
  /** Where the scrubber is: the position asked for while dragging, else the view's. */
  position: number;
  /** A seek is in flight or wanted. */
  seeking: boolean;
  busy: Busy | null;
  lastStop: MotionSummary | null;
  console: ConsoleEvent[];
  /** Breakpoint and watchpoint hits seen in this session. */
  hits: Marker[];
  traps: TrapInfo[];
  memory: { at: string; length: number };
  sources: string[];
  error: string | null;
  /** The disassembly should show this address (a "go to"); the nonce makes a repeat count. */
  reveal: { address: number; nonce: number } | null;
  /** Source lines that ran during the last motion (none after a seek). */
  executed: ExecutedLines[];
  /** The call-stack frame the source view shows (0: the pc's). */
  frame: number;
  /** The hart the panels show; null: whichever retires the instruction at the position (several harts). */
  hart: number | null;
  /** Several harts: the timeline's lanes and IPIs (Engine hartLanes), refreshed after motions. */
  hartLanes: HartLanes;
  /** Notes pinned to instants, saved with the recording. */
  notes: NoteInfo[];
  /** After Share: the link to this instant in the file just downloaded. */
  shared: { link: string; file: string; copied: boolean } | null;
  /** The timeline's lanes of the run (function calls, traps), as far as the engine has computed them. */
  lanes: RunLanes | null;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const DEFAULT_MEMORY_LENGTH = 256;
const ROUTE_DELAY_MS = 250;
/** Each step of the lanes' computation takes the engine about this long: short enough not to be felt. */
const LANES_STEP_MS = 40;
/** The lanes wait while the user scrubs or steps, and this long after: the user's requests come first. */
const LANES_QUIET_MS = 400;
const LANES_MAX_REFUSALS = 20;

export interface ControllerOptions {
  /** Called with the URL's new place (throttled). */
  onRoute?: (route: Route) => void;
  /** Offers a file download (tests pass a spy). */
  download?: (name: string, bytes: Uint8Array) => void;
}

export class DebuggerController {
  readonly store: Store<DebuggerState>;
  private readonly scrubber: LatestRunner<number, MotionAnswer>;
  private operation: Promise<unknown> | null = null;
  private routeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly sourceCache = new Map<string, Promise<string>>();
  private readonly download: (name: string, bytes: Uint8Array) => void;
  private disposed = false;
  /** Counts the answers applied: a view asked for before a newer answer arrived is stale. */
  private version = 0;
  /** The lanes' computation is under way (one loop at a time). */
  private lanesRunning = false;
  /** When the user last asked for a seek or a motion: the lanes wait a little after it. */
  private lastRequestAt = 0;
  /** The End key's first stop, per recording length (it changes only as a recording grows). */
  private userEndCache: { length: number; promise: Promise<UserEndInfo | null> } | undefined;
  /** Answers and requests of seeks, and their round-trip times (the test hook reports them). */
  readonly stats = { seeksRequested: 0, seeksAnswered: 0, views: 0, seekRoundTripsMs: [] as number[] };

  constructor(private readonly engine: EngineLike, open: OpenAnswer, private readonly options: ControllerOptions = {}) {
    const { session, view } = open;
    const memoryAt = session.example?.name === 'corruption' ? 'calibration_offset' : 'sp';
    this.store = new Store<DebuggerState>({
      info: session,
      status: statusOf(session),
      view,
      previous: null,
      position: view.icount,
      seeking: false,
      busy: null,
      lastStop: null,
      console: session.console,
      hits: [],
      traps: session.traps,
      memory: { at: memoryAt, length: DEFAULT_MEMORY_LENGTH },
      hart: null,
      hartLanes: { lanes: [], ipis: [] },
      notes: session.notes,
      shared: null,
      lanes: null,
      sources: session.sources,
      error: null,
      reveal: null,
      executed: [],
      frame: 0,
    });
    this.download = options.download ?? download;
    this.scrubber = new LatestRunner<number, MotionAnswer>(
      async (t) => {
        const start = performance.now();
        const answer = await this.engine.seek(t, this.request());
        const times = this.stats.seekRoundTripsMs;
        times.push(performance.now() - start);
        if (times.length > 1000) times.shift();
        return answer;
      },
      (answer, _t, superseded) => {
        this.stats.seeksAnswered++;
        this.apply(answer, { motion: false, keepPosition: superseded });
        if (!superseded) this.store.set({ seeking: false });
      },
      (e) => {
        this.store.set({ seeking: false, position: this.store.get().view.icount });
        this.fail(e);
      },
    );
    if (view.memory === undefined) void this.refreshView();
    this.scheduleRoute();
    void this.computeLanes();
  }

  get state(): DebuggerState {
    return this.store.get();
  }

  private request(): ViewRequest {
    const { memory, hart } = this.store.get();
    return hart === null ? { memory } : { memory, hart };
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.routeTimer);
  }

  // ---- answers ----

  private apply(answer: MotionAnswer, o: { motion: boolean; keepPosition?: boolean }): void {
    if (this.disposed) return;
    this.stats.views++;
    this.version++;
    const s = this.store.get();
    const patch: Partial<DebuggerState> = {
      previous: s.view,
      view: answer.view,
      status: answer.status,
      position: o.keepPosition ? s.position : answer.view.icount,
      reveal: null,
      executed: o.motion ? answer.executed ?? [] : [],
      frame: 0,
    };
    if (answer.console.length > 0) patch.console = [...s.console, ...answer.console];
    // A seek is not a stop: what the last motion stopped at no longer describes the position.
    if (!o.motion) patch.lastStop = null;
    if (o.motion) {
      patch.lastStop = answer.result;
      const r = answer.result;
      if ((r.reason === 'breakpoint' || r.reason === 'watchpoint') && !s.hits.some((h) => h.icount === r.icount && h.kind === r.reason)) {
        const trap = s.traps.find((t) => t.id === (r.breakpointId ?? r.watchpointId));
        patch.hits = [...s.hits, { kind: r.reason, icount: r.icount, label: `${r.reason} ${trap ? `${trap.id} (${trap.source ?? trap.label})` : ''}`.trim() }];
      }
    }
    this.store.set(patch);
    this.scheduleRoute();
    // The frontier may have moved: the lanes grow with a recording.
    if (o.motion && answer.view.hartCount > 1) void this.refreshHartLanes().catch(() => undefined);
    if (o.motion) void this.computeLanes();
  }

  private fail(e: unknown): void {
    if (this.disposed) return;
    this.store.set({ error: messageOf(e) });
  }

  dismissError(): void {
    this.store.set({ error: null });
  }

  private scheduleRoute(): void {
    if (!this.options.onRoute) return;
    clearTimeout(this.routeTimer);
    this.routeTimer = setTimeout(() => {
      const s = this.store.get();
      const t = s.position;
      const id = s.status.recordingId;
      if (id) this.options.onRoute?.({ kind: 'recording', id, t, ...(s.hart !== null ? { hart: s.hart } : {}) });
      else if (s.info.example) this.options.onRoute?.({ kind: 'example', name: s.info.example.name, t });
    }, ROUTE_DELAY_MS);
  }

  // ---- travel ----

  /** The scrubber: go to t (coalesced with other seeks). */
  seek(t: number): void {
    const s = this.store.get();
    if (s.busy) return;
    const clamped = Math.max(0, Math.min(s.status.length, Math.round(t)));
    this.stats.seeksRequested++;
    this.lastRequestAt = performance.now();
    this.store.set({ position: clamped, seeking: true, error: null });
    this.scrubber.request(clamped);
  }

  /**
   * The End key: the last line of the user's own code that ran (not the C
   * library's exit), from anywhere, even from the last instruction, where a
   * recording just made stops; pressed there, the last instruction.
   */
  async goToEnd(): Promise<void> {
    if (this.store.get().busy) return;
    await this.scrubber.idle();
    const end = await this.userEnd();
    const s = this.store.get();
    if (s.busy) return;
    this.seek(end && s.position !== end.icount ? end.icount : s.status.length);
  }

  /** Where the user's code last ran in a finished recording (asked once per length). */
  userEnd(): Promise<UserEndInfo | null> {
    const { status, lanes } = this.store.get();
    if (!status.ended) return Promise.resolve(null);
    if (lanes?.userEnd && lanes.length === status.length) return Promise.resolve(lanes.userEnd);
    if (this.userEndCache?.length !== status.length) {
      // A refusal (the engine was busy) is not an answer: asked again next time.
      const promise: Promise<UserEndInfo | null> = this.engine.userEnd().catch(() => {
        if (this.userEndCache?.promise === promise) this.userEndCache = undefined;
        return null;
      });
      this.userEndCache = { length: status.length, promise };
    }
    return this.userEndCache.promise;
  }

  /**
   * Computes the timeline's lanes, a short engine step at a time, between the
   * user's requests (never during a motion, and not while the user scrubs),
   * showing each step's answer; until they are done for the current length.
   */
  private async computeLanes(): Promise<void> {
    if (this.lanesRunning) return;
    this.lanesRunning = true;
    let refused = 0;
    try {
      for (;;) {
        if (this.disposed) return;
        const s = this.store.get();
        if (s.status.phase === 'recording' || s.status.phase === 'waiting-input') return; // computed again when it stops
        if (s.lanes?.done && s.lanes.length === s.status.length) return;
        if (s.busy || s.seeking || this.operation || performance.now() - this.lastRequestAt < LANES_QUIET_MS) {
          await sleep(LANES_QUIET_MS / 2);
          continue;
        }
        const lanes = await this.engine.runLanes(LANES_STEP_MS);
        if (this.disposed) return;
        if (lanes === null) {
          // Busy, or a replay not run through yet: tried again for a while, and after the next motion.
          if (++refused > LANES_MAX_REFUSALS) return;
          await sleep(LANES_QUIET_MS);
          continue;
        }
        refused = 0;
        this.store.set({ lanes });
        await sleep(0);
      }
    } catch {
      // The lanes are an extra: without them the timeline is as before.
    } finally {
      this.lanesRunning = false;
    }
  }

  /** Runs an operation that excludes motions and seeks. */
  private async exclusive(busy: Busy, run: (listener: (e: ProgressEvent) => void) => Promise<MotionAnswer>): Promise<void> {
    if (this.store.get().busy || this.operation) return;
    this.lastRequestAt = performance.now();
    this.scrubber.cancelPending();
    const op = (async () => {
      await this.scrubber.idle();
      this.store.set({ busy, error: null });
      const listener = (event: ProgressEvent) => this.progress(event);
      try {
        const answer = await run(listener);
        this.apply(answer, { motion: true });
      } catch (e) {
        this.fail(e);
      } finally {
        this.store.set({ busy: null });
      }
    })();
    this.operation = op;
    try {
      await op;
    } finally {
      this.operation = null;
    }
  }

  private progress(event: ProgressEvent): void {
    if (this.disposed) return;
    const s = this.store.get();
    if (event.kind === 'console') {
      this.store.set({ console: [...s.console, ...event.events] });
      return;
    }
    if (!s.busy) return;
    const busy: Busy = { ...s.busy, activity: event.activity, icount: event.icount };
    if (event.fraction !== undefined) busy.fraction = event.fraction;
    if (event.speed !== undefined) busy.speed = event.speed;
    const patch: Partial<DebuggerState> = { busy, status: event.status };
    if (s.busy.kind === 'record' || (s.busy.motion === 'continue' && event.status.phase !== 'fixed')) patch.position = event.icount;
    this.store.set(patch);
    // Saving has started: from now on a reload opens the stored recording.
    if (event.status.recordingId !== s.status.recordingId) this.scheduleRoute();
  }

  move(motion: Motion): Promise<void> {
    return this.exclusive({ kind: 'motion', motion, activity: motion }, (listener) =>
      this.engine.move(motion, this.request(), proxy(listener)));
  }

  /** Back to the last time (or on to the next time) a source line ran. */
  runToLine(file: string, line: number, direction: 'backward' | 'forward' = 'backward'): Promise<void> {
    const name = `${file.replace(/^.*\//, '')}:${line}`;
    const activity = direction === 'backward' ? `searching backwards for ${name}` : `running to ${name}`;
    return this.exclusive({ kind: 'motion', motion: direction === 'backward' ? 'reverse-continue' : 'continue', activity }, (listener) =>
      this.engine.runToLine(file, line, direction, this.request(), proxy(listener)));
  }

  /** Shows a frame of the call stack in the source view. */
  selectFrame(index: number): void {
    const frames = this.store.get().view.callStack ?? [];
    if (index < 0 || index >= frames.length) return;
    this.store.set({ frame: index });
  }

  record(): Promise<void> {
    return this.exclusive({ kind: 'record', activity: 'recording' }, (listener) =>
      this.engine.record(this.request(), proxy(listener)));
  }

  pause(): void {
    this.engine.pause().catch((e: unknown) => this.fail(e));
  }

  stop(): void {
    this.engine.stop().catch((e: unknown) => this.fail(e));
  }

  /** Resolves when no seek or operation is in flight and the page shows the latest answer. */
  async settled(): Promise<void> {
    for (;;) {
      await this.scrubber.idle();
      const op = this.operation;
      if (op) await op.catch(() => {});
      if (!this.scrubber.busy && !this.operation) return;
    }
  }

  /** Asks for the view at the current position again (other memory, new sources). */
  async refreshView(forget: 'memory' | 'none' = 'none'): Promise<void> {
    await this.settled();
    const version = this.version;
    try {
      const view = await this.engine.view(this.request());
      if (version !== this.version || this.disposed) return; // a newer answer already has it
      const s = this.store.get();
      if (s.frame >= (view.callStack?.length ?? 1)) this.store.set({ frame: 0 });
      // A different place in memory: nothing to compare with.
      const previous = s.previous && forget === 'memory' ? { ...s.previous, memory: undefined } : s.previous;
      this.store.set({ view, previous });
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- console ----

  sendInput(text: string): void {
    this.engine.sendInput(text).catch((e: unknown) => this.fail(e));
  }

  endInput(): void {
    this.engine.endInput().catch((e: unknown) => this.fail(e));
  }

  // ---- harts ----

  /** Fetches the timeline's hart lanes again (several harts only). */
  private async refreshHartLanes(): Promise<void> {
    if (this.store.get().view.hartCount < 2) return;
    const hartLanes = await this.engine.hartLanes(200);
    if (!this.disposed) this.store.set({ hartLanes });
  }

  /** Shows hart `hart`'s registers, source and call stack (null: follow the hart that runs). */
  async selectHart(hart: number | null): Promise<void> {
    this.store.set({ hart });
    await this.refreshView();
  }

  // ---- memory ----

  async showMemory(at: string, length = DEFAULT_MEMORY_LENGTH): Promise<void> {
    this.store.set({ memory: { at, length } });
    await this.refreshView('memory');
  }

  // ---- breakpoints and watchpoints ----

  private async traps(change: () => Promise<TrapInfo[]>): Promise<boolean> {
    try {
      this.store.set({ traps: await change(), error: null });
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** Adds a breakpoint at the address, or removes the ones there. */
  toggleBreakpoint(address: number): Promise<boolean> {
    const existing = this.store.get().traps.filter((t) => t.kind === 'breakpoint' && t.address === address);
    if (existing.length > 0) {
      return this.traps(async () => {
        let list: TrapInfo[] = this.store.get().traps;
        for (const t of existing) list = await this.engine.deleteTrap(t.id);
        return list;
      });
    }
    return this.traps(() => this.engine.addBreakpoint(address));
  }

  /** Completions for the Break at box (none if the engine cannot say). */
  completeLocation(prefix: string): Promise<string[]> {
    return this.engine.completeLocation(prefix).catch(() => []);
  }

  addBreakpoint(where: string): Promise<boolean> {
    return this.traps(() => this.engine.addBreakpoint(where));
  }

  /** Adds breakpoints where a source line starts, or removes those set from that line. */
  toggleSourceBreakpoint(file: string, line: number): Promise<boolean> {
    const name = `${file.replace(/^.*\//, '')}:${line}`;
    const existing = this.store.get().traps.filter((t) => t.source === name);
    if (existing.length > 0) {
      return this.traps(async () => {
        let list: TrapInfo[] = this.store.get().traps;
        for (const t of existing) list = await this.engine.deleteTrap(t.id);
        return list;
      });
    }
    return this.traps(() => this.engine.addSourceBreakpoint(file, line));
  }

  addWatchpoint(where: string | number, length: number, access: WatchAccess): Promise<boolean> {
    return this.traps(() => this.engine.addWatchpoint(where, length, access));
  }

  deleteTrap(id: number): Promise<boolean> {
    const before = this.store.get().traps;
    this.store.set({ traps: before.filter((t) => t.id !== id) });
    return this.traps(() => this.engine.deleteTrap(id)).then((ok) => {
      if (!ok) this.store.set({ traps: before });
      return ok;
    });
  }

  /** Shown at once; put back if the engine refuses. */
  setTrapEnabled(id: number, enabled: boolean): Promise<boolean> {
    const before = this.store.get().traps;
    this.store.set({ traps: before.map((t) => (t.id === id ? { ...t, enabled } : t)) });
    return this.traps(() => this.engine.setTrapEnabled(id, enabled)).then((ok) => {
      if (!ok) this.store.set({ traps: before });
      return ok;
    });
  }

  /** "Who wrote this?": a write watchpoint on the bytes, then back to the last write before here. */
  async whoWrote(address: number, length: number): Promise<void> {
    const s = this.store.get();
    const existing = s.traps.find((t) => t.kind === 'watchpoint' && t.address === address && t.length === length && t.access === 'write');
    if (existing && !existing.enabled) await this.setTrapEnabled(existing.id, true);
    if (!existing && !(await this.addWatchpoint(address, length, 'write'))) return;
    await this.move('reverse-continue');
  }

  // ---- variables ----

  /** Locals, arguments and watched expressions of a call-stack frame at the current position. */
  variables(frame: number, expressions: string[]): Promise<VariablesView> {
    return this.engine.variables(frame, expressions);
  }

  expandVariable(frame: number, expression: string, from = 0): Promise<VariableNode[]> {
    return this.engine.expandVariable(frame, expression, from);
  }

  /** Every write to an expression's storage across the recording (busy meanwhile; Pause cancels). */
  async valueHistory(expression: string, frame: number): Promise<HistoryAnswer | undefined> {
    if (this.store.get().busy || this.operation) return undefined;
    await this.scrubber.idle();
    this.store.set({ busy: { kind: 'motion', activity: `computing the history of ${expression}` }, error: null });
    try {
      return await this.engine.valueHistory(expression, frame, proxy((event: ProgressEvent) => this.progress(event)));
    } catch (e) {
      this.fail(e);
      return undefined;
    } finally {
      this.store.set({ busy: null });
    }
  }

  /** Shows a symbol or address in the disassembly. */
  async goTo(where: string): Promise<void> {
    try {
      const { address } = await this.engine.resolve(where);
      const nonce = (this.store.get().reveal?.nonce ?? 0) + 1;
      this.store.set({ reveal: { address, nonce }, error: null });
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- sources ----

  sourceText(name: string): Promise<string> {
    let text = this.sourceCache.get(name);
    if (!text) {
      text = this.engine.sourceText(name);
      text.catch(() => this.sourceCache.delete(name));
      this.sourceCache.set(name, text);
    }
    return text;
  }

  async addSources(files: Record<string, string>): Promise<void> {
    for (const name of Object.keys(files)) this.sourceCache.delete(name.replace(/^.*[\\/]/, ''));
    try {
      const sources = await this.engine.addSources(files);
      this.store.set({ sources });
      await this.refreshView();
    } catch (e) {
      this.fail(e);
    }
  }

  lineAddresses(file: string, line: number): Promise<number[]> {
    return this.engine.lineAddresses(file, line);
  }

  // ---- export ----

  async exportRecording(): Promise<void> {
    await this.settled();
    try {
      const { name, bytes } = await this.engine.exportSession();
      this.download(name, bytes);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Share: downloads the recording (with its notes, breakpoints, watchpoints
   * and this instant) and makes a link to this instant in it, copied to the
   * clipboard when the browser allows. A teammate's browser that lacks the
   * recording asks for the file the link names.
   */
  async share(): Promise<void> {
    await this.settled();
    try {
      const { name, bytes } = await this.engine.exportSession();
      this.download(name, bytes);
      const s = this.store.get();
      const hash = formatRoute({ kind: 'recording', id: recordingIdOf(bytes), t: s.view.icount,
        ...(s.hart !== null ? { hart: s.hart } : {}), file: name, size: bytes.length });
      const link = `${location.origin}${location.pathname}${hash}`;
      let copied = false;
      try {
        await navigator.clipboard.writeText(link);
        copied = true;
      } catch {
        // No clipboard permission: the link is shown to copy by hand.
      }
      if (!this.disposed) this.store.set({ shared: { link, file: name, copied } });
    } catch (e) {
      this.fail(e);
    }
  }

  dismissShared(): void {
    this.store.set({ shared: null });
  }

  // ---- notes ----

  private async notes(change: () => Promise<NoteInfo[]>): Promise<boolean> {
    try {
      const notes = await change();
      if (!this.disposed) this.store.set({ notes, error: null });
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** A note at the current instant. */
  addNote(text: string): Promise<boolean> {
    return this.notes(() => this.engine.addNote(text, this.store.get().view.icount));
  }

  editNote(id: number, text: string): Promise<boolean> {
    return this.notes(() => this.engine.editNote(id, text));
  }

  deleteNote(id: number): Promise<boolean> {
    return this.notes(() => this.engine.deleteNote(id));
  }

  async exportSnapshotImage(): Promise<void> {
    await this.settled();
    try {
      const { name, bytes } = await this.engine.exportSnapshotImage();
      this.download(name, bytes);
    } catch (e) {
      this.fail(e);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function statusOf(info: SessionInfo): SessionStatus {
  return { length: info.length, ended: info.ended, phase: info.phase, recordingId: info.recordingId, storageProblem: info.storageProblem,
    ...(info.verified !== undefined ? { verified: info.verified } : {}) };
}
