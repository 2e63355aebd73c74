/// <reference lib="webworker" />
// The engine worker: owns the Machine and exposes `EngineApi` to the page with
// comlink. Nothing else in the browser touches the engine.
import { expose, releaseProxy, type Local, type Remote } from 'comlink';
import coreUrl from '../build/core.release.wasm?url';
import type {
  ConsoleStream, EngineApi, EngineStatus, ExampleInfo, MachineState, ProgramInfo, RunListener, RunResult, StopInfo,
} from './engine-api';
import { Machine, type Stop } from './engine/machine';
import { QueuedInput, type HostInput } from './engine/host-input';
import { ABI_NAMES, MAIN_CSRS, PRIVILEGE_NAMES } from './engine/memory-map';

/** Instructions per slice: about 10-20 ms of guest time, so pause() and input get through quickly. */
const SLICE = 4_000_000;
/** Progress reports at most this often. */
const PROGRESS_INTERVAL_MS = 100;
const EXAMPLES_DIR = new URL(`${import.meta.env.BASE_URL}examples/`, self.location.origin);

/** 64-bit words as 0x + 16 hex digits (the core hands out some as signed i64). */
const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

/** Console input that can be emptied when a new program is loaded (the Machine keeps one HostInput). */
class ConsoleInput implements HostInput {
  private queue = new QueuedInput();
  private waiter: (() => void) | undefined;
  reset(): void { this.queue = new QueuedInput(); }
  push(bytes: Uint8Array): void { this.queue.push(bytes); this.wake(); }
  end(): void { this.queue.end(); this.wake(); }
  readConsole(max: number): Uint8Array | null { return this.queue.readConsole(max); }
  wallClockSeconds(): number { return this.queue.wallClockSeconds(); }
  /** Resolves at the next push(), end() or wake(). */
  next(): Promise<void> { return new Promise((resolve) => { this.waiter = resolve; }); }
  wake(): void { const w = this.waiter; this.waiter = undefined; w?.(); }
}

/** Yields to the event loop (a message task, which unlike setTimeout is not clamped to 4 ms). */
const yieldChannel = new MessageChannel();
const yielded: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yielded.shift()?.();
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => { yielded.push(resolve); yieldChannel.port2.postMessage(null); });
}

async function fetchOk(url: URL, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`Could not fetch ${what}: ${(e as Error).message}`);
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
      sources: Array.isArray(sources) ? sources.filter((s): s is string => typeof s === 'string') : [],
      ...(typeof stdin === 'string' ? { stdin } : {}),
    }];
  });
}

function stopInfo(stop: Stop | { reason: 'paused'; icount: bigint; pc: bigint }): StopInfo {
  const info: StopInfo = { reason: stop.reason, icount: stop.icount.toString(), pc: hex(stop.pc) };
  if ('exitCode' in stop && stop.exitCode !== undefined) info.exitCode = stop.exitCode;
  if ('message' in stop && stop.message !== undefined) info.message = stop.message;
  return info;
}

class Engine implements Local<EngineApi> {
  private readonly input = new ConsoleInput();
  private machinePromise: Promise<Machine> | undefined;
  private examples: Promise<ExampleInfo[]> | undefined;
  private program: string | null = null;
  private status: EngineStatus = 'empty';
  private lastStop: StopInfo | null = null;
  private pauseRequested = false;
  private running: Promise<unknown> | undefined;
  private decoders: Record<ConsoleStream, TextDecoder> = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  private pending: { stream: ConsoleStream; text: string }[] = [];

  private machine(): Promise<Machine> {
    this.machinePromise ??= (async () => {
      const response = await fetchOk(new URL(coreUrl, self.location.href), 'the CPU core');
      const module = await WebAssembly.compile(await response.arrayBuffer());
      const machine = await Machine.create(module, this.input);
      machine.onOutput((bytes, stream) => this.collect(stream, this.decoders[stream].decode(bytes, { stream: true })));
      return machine;
    })();
    // A failed start is not cached: the next call tries again.
    this.machinePromise.catch(() => { this.machinePromise = undefined; });
    return this.machinePromise;
  }

  private collect(stream: ConsoleStream, text: string): void {
    if (text === '') return;
    const last = this.pending.at(-1);
    if (last && last.stream === stream) last.text += text;
    else this.pending.push({ stream, text });
  }

  private flush(listener: Remote<RunListener>): void {
    for (const { stream, text } of this.pending) {
      listener({ kind: 'output', stream, text }).catch(() => {});
    }
    this.pending = [];
  }

  listExamples(): Promise<ExampleInfo[]> {
    this.examples ??= (async () => {
      const response = await fetchOk(new URL('examples.json', EXAMPLES_DIR), 'the list of examples');
      let json: unknown;
      try { json = await response.json(); } catch (e) { throw new Error(`The list of examples is not valid JSON: ${(e as Error).message}`); }
      return parseExamples(json);
    })();
    this.examples.catch(() => { this.examples = undefined; });
    return this.examples;
  }

  async loadExample(name: string): Promise<ProgramInfo> {
    const example = (await this.listExamples()).find((e) => e.name === name);
    if (!example) throw new Error(`There is no example called "${name}"`);
    const response = await fetchOk(new URL(example.elf, EXAMPLES_DIR), example.elf);
    return this.loadProgram(new Uint8Array(await response.arrayBuffer()), example.name);
  }

  async loadProgram(bytes: Uint8Array, name: string): Promise<ProgramInfo> {
    const machine = await this.machine();
    await this.stopRunning();
    // From here on no await: nothing can start a run halfway through loading.
    this.program = null;
    this.status = 'empty';
    this.lastStop = null;
    let image;
    try {
      image = machine.load(bytes, { commandLine: name });
    } catch (e) {
      throw new Error(`Cannot load ${name}: ${(e as Error).message}`);
    }
    this.input.reset();
    this.decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    this.pending = [];
    this.program = name;
    this.status = 'ready';
    return { name, entry: hex(BigInt(image.entry)), size: bytes.length };
  }

  async run(maxInstructions: number, listener: Remote<RunListener>): Promise<RunResult> {
    try {
      if (!Number.isSafeInteger(maxInstructions) || maxInstructions <= 0) throw new Error(`Bad instruction limit: ${maxInstructions}`);
      const machine = await this.machine();
      if (this.running) throw new Error('A run is already in progress');
      if (this.program === null) throw new Error('No program is loaded');
      const run = this.runLoop(machine, BigInt(maxInstructions), listener);
      this.running = run;
      try {
        return await run;
      } catch (e) {
        // The engine failed (a bug, not a guest stop): the run is over, the program cannot go on.
        this.status = 'stopped';
        throw e;
      } finally {
        this.running = undefined;
      }
    } finally {
      listener[releaseProxy]();
    }
  }

  private async runLoop(machine: Machine, budget: bigint, listener: Remote<RunListener>): Promise<RunResult> {
    this.pauseRequested = false;
    const start = machine.icount;
    const end = start + budget;
    let executingMs = 0;
    let lastProgress = 0;
    const speed = () => (executingMs > 0 ? Number(machine.icount - start) / (executingMs / 1000) : 0);
    const progress = (status: 'running' | 'waiting-input') => {
      lastProgress = performance.now();
      listener({ kind: 'progress', status, icount: machine.icount.toString(), instructionsPerSecond: speed() }).catch(() => {});
    };
    this.status = 'running';
    progress('running');
    let stop: StopInfo;
    for (;;) {
      if (this.pauseRequested) { stop = stopInfo({ reason: 'paused', icount: machine.icount, pc: machine.pc }); break; }
      const remaining = end - machine.icount;
      if (remaining <= 0n) { stop = stopInfo({ reason: 'budget', icount: machine.icount, pc: machine.pc }); break; }
      const t0 = performance.now();
      const s = machine.run(remaining < SLICE ? remaining : BigInt(SLICE));
      executingMs += performance.now() - t0;
      this.flush(listener);
      if (s.reason === 'input') {
        this.status = 'waiting-input';
        progress('waiting-input');
        await this.input.next();
        this.status = 'running';
        if (!this.pauseRequested) progress('running');
        continue;
      }
      if (s.reason !== 'budget') { stop = stopInfo(s); break; }
      if (performance.now() - lastProgress >= PROGRESS_INTERVAL_MS) progress('running');
      await yieldToEventLoop();
    }
    this.pauseRequested = false;
    this.lastStop = stop;
    this.status = stop.reason === 'exit' ? 'exited' : 'stopped';
    return {
      stop,
      instructions: (machine.icount - start).toString(),
      elapsedMs: executingMs,
      instructionsPerSecond: speed(),
    };
  }

  private async stopRunning(): Promise<void> {
    if (!this.running) return;
    this.pause();
    await this.running.catch(() => {});
  }

  pause(): void {
    if (!this.running) return;
    this.pauseRequested = true;
    this.input.wake();
  }

  sendInput(text: string): void {
    this.input.push(new TextEncoder().encode(text));
  }

  endInput(): void {
    this.input.end();
  }

  async state(): Promise<MachineState> {
    const machine = await this.machine();
    const registers = machine.registers().map((v, i) => ({ name: `x${i}`, abi: ABI_NAMES[i], value: hex(v) }));
    const csrs = MAIN_CSRS.map(([name, number]) => {
      const v = machine.readCsr(number);
      return { name, number, value: v === undefined ? null : hex(v) };
    });
    return {
      program: this.program,
      status: this.status,
      lastStop: this.lastStop,
      pc: hex(machine.pc),
      icount: machine.icount.toString(),
      privilege: PRIVILEGE_NAMES[machine.privilege] ?? String(machine.privilege),
      registers,
      csrs,
    };
  }
}

expose(new Engine());
