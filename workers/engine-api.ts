// The one API between the page and the engine worker (workers/engine.worker.ts),
// carried by comlink. The page imports this file as types only and talks to
// the engine through `Remote<EngineApi>`; the worker implements `Local<EngineApi>`.
//
// Everything crossing the boundary is structured-cloneable. Instruction counts
// and addresses travel as JS numbers (exact up to 2^53: nine million billion
// instructions, and every mapped address of the machine); 64-bit machine words
// (registers, CSRs, watched values) travel as hex strings ("0x" + 16 digits),
// so that the page never has to deal with bigint.
//
// One recording is open at a time (a "session"): the worker owns its Timeline.
// Long operations (recording, continue, reverse-continue, opening a file) run
// in slices of a few milliseconds and report progress to a listener passed
// with comlink's proxy(); pause() interrupts any of them at the next slice.
import type { ProxyMarked } from 'comlink';

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

/** A recording stored in this browser (IndexedDB). */
export interface StoredRecording {
  id: string;
  name: string;
  programName: string;
  /** ISO 8601 */
  createdAt: string;
  updatedAt: string;
  /** Instructions recorded. */
  length: number;
  /** How the run ended; null while it runs or if it was stopped or cut off. */
  ended: { reason: string; exitCode?: number } | null;
  /** Bytes stored (log + image + sources). */
  bytes: number;
}

export interface StorageOverview {
  recordings: StoredRecording[];
  /** Why recordings cannot be stored or listed, if they cannot. */
  problem?: string;
  /** The browser's estimate for the whole site, when it gives one. */
  estimate?: { usage: number; quota: number };
  /** The snapshot budget of this tab's timelines (workers/ui-host/snapshot-budget.ts). */
  snapshotBudget?: { bytes: number; settingMiB: number | null; defaultBytes: number };
}

/** The program listing: the disassembly of the program's executable sections, objdump style. */
export interface Listing {
  /** One line per instruction or label (`<main>:`), joined with '\n'. */
  text: string;
  /** The address of each line's instruction (index = line - 1), or -1 for labels and blank lines. */
  addresses: number[];
  /** What the listing shows, e.g. "the program's code sections" or "memory around pc". */
  title: string;
}

export type ConsoleEventKind = 'stdout' | 'stderr' | 'stdin' | 'eof';

/** Something the console shows, stamped with the icount it happened at. */
export interface ConsoleEvent {
  icount: number;
  kind: ConsoleEventKind;
  /** Decoded text ('' for 'eof': the program read end of input). */
  text: string;
}

export type TrapKind = 'breakpoint' | 'watchpoint';
export type WatchAccess = 'write' | 'read' | 'access';

export interface TrapInfo {
  id: number;
  kind: TrapKind;
  address: number;
  /** Watchpoints: bytes watched. */
  length?: number;
  access?: WatchAccess;
  /** "main+0x1c", a symbol name or an address. */
  label: string;
  enabled: boolean;
  /** Breakpoints set from a source line: "corruption.c:98". */
  source?: string;
}

/** A note pinned to an instant (or a range), saved with the recording. */
export interface NoteInfo {
  id: number;
  icount: number;
  /** A note about a range: its last instant. */
  end?: number;
  text: string;
}

export type DebugInfoState =
  /** Line information was read: the source view follows the pc. */
  | 'available'
  /** The program has no usable line information (built without -g, or stripped). */
  | 'none'
  /** This build of Hindsight has no DWARF reader yet. */
  | 'unsupported';

/** How a recording can still change. */
export type RecordingPhase =
  /** A recording being made in this tab: Record runs the program on, live. */
  | 'live'
  /** The live program is running (recording). */
  | 'recording'
  /** The live program waits for console input (sendInput / endInput). */
  | 'waiting-input'
  /** The program's run is over (it exited, or the recording was opened from a file): only travel. */
  | 'fixed';

export interface SessionStatus {
  /** Instructions recorded so far: the timeline spans 0 to length. */
  length: number;
  /** Set once the program's run is over: why, and its exit status. */
  ended: { reason: string; exitCode?: number } | null;
  phase: RecordingPhase;
  /** The id of the stored recording (IndexedDB), or null if it is not stored (yet, or storage failed). */
  recordingId: string | null;
  /** Why the recording is no longer being saved, if storage failed (e.g. the disk is full). */
  storageProblem: string | null;
  /**
   * A recording opened from a file or storage: replay has run through all of
   * it here, and every recorded output, input, exit and state digest matched
   * (a difference stops the replay with an error that says where).
   */
  verified?: boolean;
}

export interface SessionInfo extends SessionStatus {
  name: string;
  programName: string;
  mode: 'record' | 'replay';
  createdAt: string;
  /** The program's code sections, disassembled. */
  listing: Listing;
  /** The console's events so far (more arrive with recording progress). */
  console: ConsoleEvent[];
  debugInfo: DebugInfoState;
  /** Why the debug info is partly unusable, if it is. */
  debugInfoProblems: string[];
  /** Source files the session has (bundled with an example, in the recording, or added). */
  sources: string[];
  /** Whether the snapshots can be exported as a qcow2 image in this build. */
  snapshotImage: boolean;
  traps: TrapInfo[];
  notes: NoteInfo[];
  /** The example this session came from, if any (its sample input, ...). */
  example?: ExampleInfo;
  /** The recording was cut off (a crash or a closed tab): what the reader said. */
  truncation?: string;
}

export interface CsrValue {
  name: string;
  number: number;
  /** hex, or null if the CSR cannot be read */
  value: string | null;
}

/** The F and D extensions' state. */
export interface FpuView {
  /**
   * f0..f31 as raw 64-bit patterns, hex. A single-precision value is
   * NaN-boxed: its 32 bits in the low half, the upper 32 bits all ones.
   */
  registers: string[];
  /**
   * fcsr (frm << 5 | fflags), hex; null while mstatus.FS is Off (the FPU is
   * off: instructions that use it trap, and fcsr cannot be read).
   */
  fcsr: string | null;
}

/** Memory at an address, as of the current position. */
export interface MemoryBlock {
  /** What was asked for, as given. */
  at: string;
  /** The first byte shown: the address asked for, rounded down to 16. */
  address: number;
  /** The bytes; those of unreadable rows are 0. */
  bytes: Uint8Array;
  /** Per 16-byte row: whether that memory can be read (RAM and ROM; not devices or holes). */
  readable: boolean[];
  /** The address asked for, and how many bytes it names (a symbol's size, or 1). */
  target: number;
  targetSize: number;
  /** "calibration_offset", "smoothed+0x10": the symbol at the target, if any. */
  symbol?: string;
  /** Why nothing could be shown (an unknown symbol, ...). */
  error?: string;
}

export interface SourcePosition {
  /** As the compiler recorded it, e.g. "./corruption.c". */
  file: string;
  line: number;
  /** The name of the source the session has for this file, if it has it. */
  source?: string;
  function?: string;
}

/** The machine at the current position: what the panels show. */
export interface PositionView {
  icount: number;
  /** The hart shown, and how many the machine has. */
  hart: number;
  hartCount: number;
  /** The hart that retires the instruction at icount (the one that hit a breakpoint). */
  runningHart: number;
  /** hex */
  pc: string;
  /** "main+0x1c" */
  pcLabel: string;
  /** The instruction at pc, disassembled (objdump text). */
  instruction: string;
  privilege: string;
  /** x0..x31, hex */
  registers: string[];
  csrs: CsrValue[];
  fpu: FpuView;
  /** When pc is outside the program's listing (e.g. the reset ROM): the code around pc, read from memory. */
  localListing?: Listing;
  memory?: MemoryBlock;
  /** undefined: no line information here (or no debug info at all). */
  source?: SourcePosition;
  /** The call stack at this position, innermost first (when the program has line information). */
  callStack?: StackFrame[];
}

/** One frame of the call stack. */
export interface StackFrame {
  /** Frame 0: the pc. Outer frames: the return address. hex */
  pc: string;
  /** The function, from the debug info or the symbol table. */
  function?: string;
  /** As the compiler recorded it: frame 0 at the pc, outer frames at the call. */
  file?: string;
  line?: number;
  /** The name of the source the session has for `file`, if it has it. */
  source?: string;
  /** The frame is a function inlined into the one outside it. */
  inlined?: boolean;
}

/** Source lines that ran during a motion, per file as the compiler recorded it. */
export interface ExecutedLines {
  file: string;
  lines: number[];
}

/** The timeline's hart lanes and IPIs (EngineApi.hartLanes). */
export interface HartLanes {
  lanes: number[][];
  ipis: { icount: number; from: number; to: number }[];
}

/** A stretch of the function-call lane: a function seen running at one depth of the call stack. */
export interface CallSegment {
  /** 0: the outermost frame sampled (main, once it runs; before it, the start-up code). */
  depth: number;
  /** The function, as the call stack names it. */
  name: string;
  /** Its source is the user's (at hand), not a library's. */
  user: boolean;
  /** The stretch, [start, end): from the first sample that saw it to the next sample that did not. */
  start: number;
  end: number;
  /** The first sample inside it: an instant where it is running (what a click goes to). */
  at: number;
}

/** A trap or interrupt: where its handler's first instruction runs. */
export interface TrapMark {
  icount: number;
  hart: number;
  interrupt: boolean;
  /** The exception or interrupt code (mcause/scause without the interrupt bit). */
  code: number;
  /** "machine timer interrupt", "ecall from U-mode", "load page fault". */
  name: string;
  /** The trapping pc (hex) and its symbol. */
  epc: string;
  where: string;
  /** The handler's privilege level. */
  mode: 'M' | 'S';
}

/** Where the user's own code last ran in a finished recording (see workers/replay/user-end.ts). */
export interface UserEndInfo {
  icount: number;
  /** 'end': the recording ends in user code; 'call': at a call that never returned (exit); 'return': at the last instruction of user code. */
  via: 'end' | 'call' | 'return';
  callee?: string;
  /** The source line there. */
  source?: SourcePosition;
}

/** The timeline's lanes of the run's shape (EngineApi.runLanes), computed a little at a time. */
export interface RunLanes {
  /** The recording's length they were computed for. */
  length: number;
  /** All of it is computed. */
  done: boolean;
  /** 0..1 */
  fraction: number;
  calls: CallSegment[];
  /** Call stacks sampled so far. */
  samples: number;
  traps: TrapMark[];
  /** Traps were looked for in [0, trapsScannedTo); less than length when the scan's budget ran out. */
  trapsScannedTo: number;
  trapsTruncated: boolean;
  /** A finished recording: where the user's code last ran (null: not found, or the recording has not ended). */
  userEnd: UserEndInfo | null;
}

/** What a view should include besides the registers. */
export interface ViewRequest {
  /** Memory to read: an address (hex or decimal) or a symbol, and a byte count (at most 4096). */
  memory?: { at: string; length: number };
  /** The hart whose registers, memory translation, source and call stack to show; by default the one that retires the instruction here. */
  hart?: number;
}

export type MotionReason =
  | 'step' | 'breakpoint' | 'watchpoint' | 'exit' | 'start' | 'end' | 'input' | 'idle' | 'trap-loop' | 'fault'
  | 'cancelled' | 'limit' | 'replay-break'
  /** Going to a source line: the line did not run (before, or after, the position). The position is unchanged. */
  | 'not-found'
  /** Recording stopped (Stop, Pause, or storage full). */
  | 'stopped';

export interface WatchReport {
  address: number;
  size: number;
  kind: 'read' | 'write';
  /** hex */
  oldValue: string;
  newValue: string;
  /** The accessing instruction: hex and with its symbol. */
  pc: string;
  pcLabel: string;
  /** The source line of the accessing instruction, when the program has line information. */
  source?: SourcePosition;
}

export interface MotionSummary {
  reason: MotionReason;
  icount: number;
  pc: string;
  breakpointId?: number;
  watchpointId?: number;
  watch?: WatchReport;
  exitCode?: number;
  message?: string;
}

/** The answer to every motion: where it stopped, the view there, and the session's status. */
export interface MotionAnswer {
  result: MotionSummary;
  view: PositionView;
  status: SessionStatus;
  /** Console events that happened for the first time during this motion (live recording). */
  console: ConsoleEvent[];
  /**
   * The source lines that ran between the position before the motion and where it stopped
   * (in either direction; for long motions, the last part only). Absent without line information.
   */
  executed?: ExecutedLines[];
}

export interface OpenAnswer {
  session: SessionInfo;
  view: PositionView;
}

/** Progress of a long operation. */
export type ProgressEvent =
  | {
      kind: 'progress';
      /** What is happening: "recording", "continuing", "searching backwards", "preparing the timeline". */
      activity: string;
      icount: number;
      /** 0..1 when known */
      fraction?: number;
      /** Instructions per second while executing, when meaningful. */
      speed?: number;
      status: SessionStatus;
    }
  | { kind: 'console'; events: ConsoleEvent[] };

export type ProgressListener = (event: ProgressEvent) => void;

/** Motions by instruction (step: one instruction; step-over: over a call instruction). */
export type InstructionMotion =
  | 'continue' | 'reverse-continue' | 'step' | 'reverse-step' | 'step-over' | 'reverse-step-over';

/** Motions by source line, as GDB's step, next, finish and their reverse forms. Need line information. */
export type LineMotion =
  | 'step-line' | 'step-over-line' | 'step-out' | 'reverse-step-line' | 'reverse-step-over-line' | 'reverse-step-out';

export type Motion = InstructionMotion | LineMotion;

export const LINE_MOTIONS: readonly LineMotion[] = [
  'step-line', 'step-over-line', 'step-out', 'reverse-step-line', 'reverse-step-over-line', 'reverse-step-out',
];

/** Registers and position straight from the engine (the test hook compares the page with it). */
export interface EngineState {
  icount: number;
  pc: string;
  privilege: string;
  registers: string[];
  csrs: CsrValue[];
  fpu: FpuView;
  length: number;
}

/** A variable or expression of the Variables panel. */
export interface VariableNode {
  /** The name shown ("count", "[3]", ".min"). */
  name: string;
  /** The C expression that reads it again ("stats.min", "raw_samples[3]"): for children, history and watch. */
  expression: string;
  /** GDB's print text of the value, or an error. */
  value: string;
  type: string;
  /** Structs, unions, arrays and pointers to them can be opened. */
  expandable: boolean;
  /** Stored in memory: its history can be computed. */
  address?: number;
  size?: number;
  error?: boolean;
}

export interface VariablesView {
  icount: number;
  frame: number;
  /** The frame's function, if known. */
  function?: string;
  args: VariableNode[];
  locals: VariableNode[];
  /** The expressions asked for, in order. */
  expressions: VariableNode[];
  /** Why there are no variables (no debug info, no frame). */
  problem?: string;
}

/** One write of a value's history. */
export interface HistoryWrite {
  icount: number;
  hart: number;
  /** hex */
  pc: string;
  pcLabel: string;
  function?: string;
  source?: SourcePosition;
  /** The value before and after, as print shows it. */
  before: string;
  after: string;
  /** The value after as a number, when it is one (for the plot). */
  number?: number;
}

export interface HistoryAnswer {
  expression: string;
  address: number;
  size: number;
  type: string;
  initial: string;
  initialNumber?: number;
  writes: HistoryWrite[];
  /** Timeline length, for the plot's axis. */
  length: number;
  seconds: number;
  workers: number;
  segments: number;
  skipped: number;
  cancelled: boolean;
}

export interface SnapshotImageAnswer {
  name: string;
  bytes: Uint8Array;
}

export interface EngineApi {
  // ---- the start page ----
  /** The bundled examples (public/examples/examples.json). */
  listExamples(): Promise<ExampleInfo[]>;
  /** The recordings stored in this browser, newest first. */
  listRecordings(): Promise<StorageOverview>;
  /**
   * Sets the snapshot budget in MiB (null: the default, a fraction of the
   * browser's quota); the open timeline thins its snapshots to it at once.
   */
  setSnapshotBudget(settingMiB: number | null): Promise<{ bytes: number; settingMiB: number | null; defaultBytes: number }>;
  /** How many harts (1..8, as QEMU's -smp) the programs opened from now on get; a recording keeps its own. */
  setHarts(count: number): Promise<void>;
  /**
   * Per hart, the share of each of `buckets` equal stretches of the timeline
   * it ran (behind the frontier): the timeline's hart lanes; and the
   * inter-processor interrupts seen (CLINT msip raised by one hart for another).
   */
  hartLanes(buckets: number): Promise<HartLanes>;
  /**
   * Computes a little more of the timeline's lanes of the run (function calls, traps), for at most
   * about `budgetMs`, and answers what is known; null while an operation runs (ask again later).
   * Between calls the position is the user's: each call puts the timeline back where it was.
   */
  runLanes(budgetMs: number): Promise<RunLanes | null>;
  /** A finished recording: where the user's own code last ran (what the End key goes to first); null if none. */
  userEnd(): Promise<UserEndInfo | null>;
  renameRecording(id: string, name: string): Promise<void>;
  deleteRecording(id: string): Promise<void>;
  /** A stored recording as a .hsr file (with its sources in a SRCS chunk). */
  exportRecording(id: string): Promise<{ name: string; bytes: Uint8Array }>;

  // ---- opening ----
  /** Loads a bundled example at icount 0, ready to record. */
  openExample(name: string, request: ViewRequest): Promise<OpenAnswer>;
  /**
   * Opens a file: an ELF executable (loaded at icount 0, ready to record) or a
   * .hsr recording (stored in this browser, then opened for replay). Rejects
   * with a message naming the file and what is wrong with it. `disk`, with an
   * ELF: a raw disk image for the machine's virtio block device.
   */
  openFile(bytes: Uint8Array, name: string, request: ViewRequest, listener: ProgressListener & ProxyMarked,
    disk?: { bytes: Uint8Array; name: string }): Promise<OpenAnswer>;
  /**
   * Opens a stored recording for replay at `at` (clamped to its length), or,
   * without `at`, where the user last was in it (its saved instant).
   */
  openRecording(id: string, at: number | undefined, request: ViewRequest, listener: ProgressListener & ProxyMarked): Promise<OpenAnswer>;
  /** Whether a recording with this id (its content id, the same in every browser) is stored here. */
  hasRecording(id: string): Promise<boolean>;
  /**
   * Opens a recording file that a link asked for: refuses it, saying so, if
   * it is not the recording `id`; stores it and opens it at `at`.
   */
  openLinkedFile(bytes: Uint8Array, name: string, id: string, at: number, request: ViewRequest, listener: ProgressListener & ProxyMarked): Promise<OpenAnswer>;
  /** Closes the session (pausing anything running). */
  close(): Promise<void>;

  // ---- recording ----
  /** Runs the program live, recording, until it ends or is stopped (stop() or pause()). Ignores breakpoints. */
  record(request: ViewRequest, listener: ProgressListener & ProxyMarked): Promise<MotionAnswer>;
  /** Stops a recording in progress (it stays stored and can be recorded further). */
  stop(): void;
  /**
   * Console input for the live program (include the newline for a whole line):
   * to its UART if it reads the UART (an OS console, a line at a time as its
   * driver takes it), otherwise to its semihosting reads.
   */
  sendInput(text: string): void;
  /** Ends console input: the program reads end of file. */
  endInput(): void;

  // ---- travel ----
  /** Moves to exactly `icount` (clamped). The scrubber's call: cheap, coalesced by the page. */
  seek(icount: number, request: ViewRequest): Promise<MotionAnswer>;
  /** A motion with breakpoints and watchpoints armed (step: one instruction). */
  move(motion: Motion, request: ViewRequest, listener: ProgressListener & ProxyMarked): Promise<MotionAnswer>;
  /**
   * Goes to the last time (backward) or the next time (forward) a source line runs: a continue to
   * temporary breakpoints on the line's addresses, other breakpoints and watchpoints off meanwhile.
   * If the line does not run there, stays put and answers reason 'not-found'.
   */
  runToLine(file: string, line: number, direction: 'backward' | 'forward', request: ViewRequest, listener: ProgressListener & ProxyMarked): Promise<MotionAnswer>;
  /** Interrupts whatever long operation runs (recording, continue, reverse-continue, opening). */
  pause(): void;
  /** The view at the current position (e.g. with other memory). */
  view(request: ViewRequest): Promise<PositionView>;

  // ---- breakpoints and watchpoints ----
  /** A breakpoint at an address, or at a symbol (a name) or address given as text. */
  addBreakpoint(where: number | string): Promise<TrapInfo[]>;
  /** Breakpoints at every address where a source line starts. */
  addSourceBreakpoint(file: string, line: number): Promise<TrapInfo[]>;
  addWatchpoint(where: number | string, length: number, access: WatchAccess): Promise<TrapInfo[]>;
  deleteTrap(id: number): Promise<TrapInfo[]>;
  setTrapEnabled(id: number, enabled: boolean): Promise<TrapInfo[]>;
  // ---- notes ----
  /** Pins a note to the current instant, or to `at` (to `end`, for a range). Returns every note. */
  addNote(text: string, at?: number, end?: number): Promise<NoteInfo[]>;
  editNote(id: number, text: string): Promise<NoteInfo[]>;
  deleteNote(id: number): Promise<NoteInfo[]>;
  /** Breakpoint locations that begin with `prefix` (function and file names), for the Break at box. */
  completeLocation(prefix: string): Promise<string[]>;
  /** An address from text: hex or decimal, a symbol (optionally +offset) or a register name; with the size it names. */
  resolve(where: string): Promise<{ address: number; size: number; label: string }>;

  // ---- sources ----
  /** The text of a source file the session has. */
  sourceText(name: string): Promise<string>;
  /** Adds source files (path → text), stored with the recording. Returns the session's sources. */
  addSources(files: Record<string, string>): Promise<string[]>;
  /** addressesForLine for the source view's breakpoint gutter: lines of `file` that have code. */
  lineAddresses(file: string, line: number): Promise<number[]>;

  // ---- variables ----
  /** Locals and arguments of call-stack frame `frame` (0 = innermost), and the values of `expressions` there. */
  variables(frame: number, expressions: string[]): Promise<VariablesView>;
  /** The members or elements of an expandable value (arrays paged: `from`, at most 100). */
  expandVariable(frame: number, expression: string, from?: number): Promise<VariableNode[]>;
  /**
   * Every write to the storage of `expression` (in frame `frame`) across the whole recording, computed
   * in parallel by Web Workers from the snapshots; pause() cancels it.
   */
  valueHistory(expression: string, frame: number, listener: ProgressListener & ProxyMarked): Promise<HistoryAnswer>;

  // ---- export ----
  /** The open recording as a .hsr file. */
  exportSession(): Promise<{ name: string; bytes: Uint8Array }>;
  /** The snapshots as a qcow2 image; rejects if this build cannot make one. */
  exportSnapshotImage(): Promise<SnapshotImageAnswer>;

  // ---- tests ----
  /** The engine's state at the current position, read from the machine itself. */
  engineState(): Promise<EngineState>;
}
