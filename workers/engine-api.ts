// The one API between the page and the engine worker (workers/engine.worker.ts),
// carried by comlink. The page imports this file as types only and talks to
// the engine through `Remote<EngineApi>`; the worker implements `Local<EngineApi>`.
//
// Everything crossing the boundary is structured-cloneable. 64-bit quantities
// (registers, pc, CSRs, instruction counts) travel as strings so that the page
// never has to deal with bigint: hex ("0x" + 16 digits) for machine words,
// decimal for instruction counts.
import type { ProxyMarked } from 'comlink';
import type { StopReason } from './engine/machine';

/** One entry of public/examples/examples.json. */
export interface ExampleInfo {
  name: string;
  /** File name of the executable, next to examples.json. */
  elf: string;
  description: string;
  sources: string[];
  /** Sample console input for programs that read it. */
  stdin?: string;
}

/** What was loaded. */
export interface ProgramInfo {
  name: string;
  /** Entry point, hex. */
  entry: string;
  /** Size of the ELF file in bytes. */
  size: number;
}

/** Why a run ended: the machine's reasons, plus `paused` when the page asked for it. */
export type RunStopReason = StopReason | 'paused';

export interface StopInfo {
  reason: RunStopReason;
  /** Instructions retired since the program was loaded, decimal. */
  icount: string;
  /** hex */
  pc: string;
  /** The guest's exit status, for reason `exit`. */
  exitCode?: number;
  /** A human-readable explanation, for `fault`, `idle` and `trap-loop`. */
  message?: string;
}

/**
 * - `empty`: nothing loaded yet
 * - `ready`: loaded, not run yet
 * - `running`: a run() is executing instructions
 * - `waiting-input`: a run() is waiting for console input (sendInput / endInput)
 * - `stopped`: the last run ended without the guest exiting (paused, limit, fault, ...); run() continues it
 * - `exited`: the guest exited; load it again to rerun
 */
export type EngineStatus = 'empty' | 'ready' | 'running' | 'waiting-input' | 'stopped' | 'exited';

export interface RegisterValue {
  /** x0 .. x31 */
  name: string;
  /** ABI name: zero, ra, sp, ... */
  abi: string;
  /** hex */
  value: string;
}

export interface CsrValue {
  name: string;
  number: number;
  /** hex, or null if the CSR cannot be read */
  value: string | null;
}

export interface MachineState {
  /** Name of the loaded program, or null. */
  program: string | null;
  status: EngineStatus;
  /** How the last run ended, or null if there has been none since loading. */
  lastStop: StopInfo | null;
  /** hex */
  pc: string;
  /** decimal */
  icount: string;
  /** Privilege mode: M, S or U. */
  privilege: string;
  registers: RegisterValue[];
  csrs: CsrValue[];
}

export type ConsoleStream = 'stdout' | 'stderr';

/** What a run reports while it goes. Output is batched per slice, in order. */
export type RunEvent =
  | { kind: 'output'; stream: ConsoleStream; text: string }
  | {
      kind: 'progress';
      status: 'running' | 'waiting-input';
      /** decimal */
      icount: string;
      /** Execution speed so far in this run (time spent waiting for input excluded). */
      instructionsPerSecond: number;
    };

export type RunListener = (event: RunEvent) => void;

export interface RunResult {
  stop: StopInfo;
  /** Instructions retired by this run() call, decimal. */
  instructions: string;
  /** Wall-clock time spent executing (waiting for input excluded). */
  elapsedMs: number;
  instructionsPerSecond: number;
}

export interface EngineApi {
  /** The bundled examples (public/examples/examples.json). */
  listExamples(): Promise<ExampleInfo[]>;
  /** Fetches and loads a bundled example; stops a run in progress. Rejects on a failed fetch or a bad ELF. */
  loadExample(name: string): Promise<ProgramInfo>;
  /** Loads an ELF executable; stops a run in progress. Rejects on a bad ELF. */
  loadProgram(bytes: Uint8Array, name: string): Promise<ProgramInfo>;
  /**
   * Runs the loaded program until it exits, stops, is paused, or `maxInstructions`
   * more instructions have retired. Runs in slices and yields between them, so
   * pause() and sendInput() get through. Waiting for console input does not end
   * the run: it reports `waiting-input` and carries on when input arrives.
   * Pass the listener through comlink's proxy().
   */
  run(maxInstructions: number, listener: RunListener & ProxyMarked): Promise<RunResult>;
  /** Asks a run in progress to stop at the next slice boundary (its result has reason `paused`). */
  pause(): void;
  /** Queues console input for the guest (include the newline for a whole line). */
  sendInput(text: string): void;
  /** Ends console input: once the queue is drained the guest reads end of file. */
  endInput(): void;
  state(): MachineState;
}
