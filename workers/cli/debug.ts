// `hindsight debug <file.hsr>`: a prompt for travelling through a recording.
// Reads commands from stdin (scriptable when stdin is not a terminal) and
// prints one line after every motion: icount, pc and symbol, instruction, why it stopped.
import { createInterface } from 'node:readline';
import { HELP, sourcesFor } from './debug-help';
import { Timeline, ReplayDivergence, TimelineError, type MotionResult } from '../replay/timeline';
import { SnapshotImageError } from '../replay/snapshot-image';
import { SourceDebugger } from '../replay/source';
import { DebugInfo } from '../formats/dwarf';
import { Variables } from '../formats/dwarf/variables';
import { Inspector, ExpressionError } from '../formats/dwarf/inspect';
import { disassemble, FP_REG_NAMES, ROUNDING_MODES } from '../engine/disassembler';
import { instructionAt } from '../engine/instructions';
import { ABI_NAMES, MAIN_CSRS, PRIVILEGE_NAMES, FCSR_NUMBER } from '../engine/memory-map';
import { loadCoreWasm } from './node-host';
import { parseArgs, UsageError, JIT_FLAGS, applyJitFlags } from './args';
import { loadRecording } from './record-replay';
import { CliFailure, EXIT, terminalSafe } from './output';
import { evaluateExpression } from '../formats/dwarf/expr';
import { sizeOf, typeName, type Type } from '../formats/dwarf/types';
import type { Value } from '../formats/dwarf/value';
import { computeValueHistory, exploreTimeline, HistoryError, pooledSpawner, type HistoryChannel, type HistoryRange } from '../replay/value-history';
import { examineLines, frameArguments, historyLines, parseExamine, ptypeText } from './debug-data';
import { historyWorkerCount, nodeHistorySpawner } from './history-workers';
import { BreakpointResolver } from '../replay/breakpoint-location';
import { UserBreakpoints } from '../replay/user-breakpoints';
import { BreakpointCommands, BreakpointCommandError } from './debug-breakpoints';
import { saveNotes } from './notes-file';
import type { Note } from '../formats/annotations';

/** Commands that run the machine (or await workers): never inside another hart's view. */
const RUNNING_COMMANDS = new Set(['stepi', 'si', 'reverse-stepi', 'rsi', 'step', 's', 'next', 'n', 'finish', 'reverse-step', 'rs',
  'reverse-next', 'rn', 'reverse-finish', 'nexti', 'ni', 'reverse-nexti', 'rni', 'continue', 'c', 'reverse-continue', 'rc', 'seek',
  'history', 'replay-break']);


export async function cmdDebug(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { ...JIT_FLAGS });
  applyJitFlags(args);
  if (args.positional.length !== 1) throw new UsageError('debug needs one recording: hindsight debug <file.hsr>');
  const path = args.positional[0];
  const recording = loadRecording(path);
  let timeline: Timeline;
  try {
    timeline = await Timeline.replay(loadCoreWasm(), recording);
  } catch (e) {
    if (!(e instanceof SnapshotImageError)) throw e;
    process.stderr.write(`hindsight: ${path}: ignoring its snapshot image: ${e.message}\n`);
    timeline = await Timeline.replay(loadCoreWasm(), recording, { useSnapshotImage: false });
  }
  const pool = pooledSpawner(nodeHistorySpawner(new URL(import.meta.url)));
  let shown = -1;
  const session = new DebugSession(timeline, (line) => process.stdout.write(line + '\n'), sourcesFor(recording.sources, path), {
    spawn: pool.spawn, wasm: await WebAssembly.compile(loadCoreWasm() as Uint8Array<ArrayBuffer>), workers: historyWorkerCount(),
    progress: process.stderr.isTTY ? (f) => {
      // One line on the terminal, rewritten: the first pass, then the share of the recording done.
      if (f === 1) { if (shown >= 0) process.stderr.write('\r\x1b[K'); shown = -1; return; }
      const pct = f === undefined ? -2 : Math.floor(f * 100);
      if (pct === shown) return;
      shown = pct;
      process.stderr.write(`\r\x1b[Khistory: ${f === undefined ? 'preparing the timeline' : `${pct}% of the recording`} (Ctrl-C cancels)`);
    } : undefined,
  });
  session.notes = {
    list: (recording.annotations?.notes ?? []).map((n) => ({ ...n })),
    save: (notes) => saveNotes(path, notes),
  };
  for (const problem of session.debugProblems().slice(0, 5)) process.stderr.write(`hindsight: ${path}: debug information: ${problem}\n`);
  const interactive = process.stdin.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: interactive ? process.stdout : undefined, terminal: interactive });
  // Ctrl-C while a history is computed cancels it (what was found so far is printed); at the prompt, as GDB: Quit.
  rl.on('SIGINT', () => { if (session.cancelHistory) session.cancelHistory(); else { process.stdout.write('\nQuit\n'); rl.prompt(); } });
  if (interactive) {
    process.stdout.write(`Hindsight: ${timeline.meta.name}, ${timeline.length} instructions. Type "help" for commands.\n`);
    rl.setPrompt('(hindsight) ');
    rl.prompt();
  }
  let status = 0;
  for await (const line of rl) {
    try {
      if (!(await session.execute(line))) break;
    } catch (e) {
      if (e instanceof ReplayDivergence) { rl.close(); throw new CliFailure(EXIT.divergence, `${path}: ${e.message}`); }
      if (e instanceof TimelineError || e instanceof CommandError) {
        process.stdout.write(`error: ${e.message}\n`);
        if (!interactive) status = 1;
      } else {
        throw e;
      }
    }
    if (interactive) rl.prompt();
  }
  rl.close();
  pool.close();
  return status;
}

class CommandError extends Error {}


/** The command interpreter, apart from the terminal (so tests can drive it). */
export class DebugSession {
  private readonly source: SourceDebugger | undefined;
  private readonly sourceFiles: Record<string, string>;
  private readonly debugInfo: DebugInfo | undefined;
  private inspectorCache: Inspector | undefined;
  /** The frame `frame N` selected, and the icount it was selected at (a motion resets it to 0). */
  private selected = { frame: 0, icount: -1n };
  private history = 0;
  /** The hart inspection and stepi/reverse-stepi follow (several harts); undefined: the one that runs. */
  private selectedHart: number | undefined;
  private readonly displays: { id: number; expr: string }[] = [];
  /** Cancels the history being computed (Ctrl-C at the prompt); undefined when none is. */
  cancelHistory: (() => void) | undefined;
  private nextDisplay = 1;
  private lastExamine = { format: 'x', size: 4 };
  /** break/tbreak/watch numbering (one number per breakpoint, whatever its locations), conditions, ignore counts. */
  private readonly breakpoints: UserBreakpoints;
  private readonly breakpointCommands: BreakpointCommands;
  /** The user breakpoint of the last stop (a temporary one is gone by the time the stop is printed). */
  private lastStop: { trapId: number; number: number } | undefined;
  /** The recording's notes, and where `note` saves them (the CLI: into the recording file). */
  notes: { list: Note[]; save?: (notes: Note[]) => string } = { list: [] };

  constructor(private readonly timeline: Timeline, private readonly print: (line: string) => void, sources: Record<string, string> = {},
    private readonly historyOptions: {
      spawn?: () => HistoryChannel; wasm?: Uint8Array | WebAssembly.Module; workers?: number;
      /** Shown while a history is computed: the fraction done (a terminal shows it on one line). */
      progress?: (fraction: number | undefined) => void;
    } = {}) {
    const image = timeline.machine.program;
    const debug = image ? DebugInfo.fromElf(image) : undefined;
    this.debugInfo = debug;
    this.source = debug && debug.lineTable().length > 0 ? new SourceDebugger(timeline, debug) : undefined;
    this.sourceFiles = sources;
    this.breakpoints = new UserBreakpoints(timeline);
    this.breakpointCommands = new BreakpointCommands(timeline, this.breakpoints,
      new BreakpointResolver(debug, image?.symbols ?? [], timeline.machine.symbols), (l) => this.print(l), () => this.source?.where()?.file);
  }

  /** What is wrong with the program's debug information (empty when nothing is). */
  debugProblems(): string[] {
    return this.debugInfo?.problems.slice() ?? [];
  }

  /** The variables' reader, built the first time a command needs it. */
  private inspector(): Inspector {
    const image = this.timeline.machine.program;
    if (!image) throw new CommandError('this recording has no program image: no debug information');
    this.inspectorCache ??= new Inspector(Variables.fromElf(image), (a, n) => this.timeline.machine.readMemory(a, n));
    return this.inspectorCache;
  }

  private selectedFrame(): number {
    return this.selected.icount === this.timeline.icount ? this.selected.frame : 0;
  }

  /** A frame as GDB's bt prints it: "#1  0x... in main () at ./corruption.c:167" (frame 0 at a line's start: no address). */
  private frameLine(f: { pc: number; function?: string; file?: string; line?: number; inlined?: boolean }, i: number,
    state?: ReturnType<SourceDebugger['frameStates']>['states'][number]): string {
    let args = '';
    if (state && this.timeline.machine.program) {
      try {
        const ins = this.inspector();
        const mem = (a: bigint, n: number) => this.timeline.machine.readMemory(a, n);
        args = frameArguments(ins.vars, state, ins.vars.formatEnv(mem), mem);
      } catch {
        args = '';
      }
    }
    const range = i === 0 ? this.debugInfo?.lineRangeAt(f.pc) : undefined;
    const showAddress = !f.inlined && (i > 0 || range?.start !== f.pc);
    const name = f.function ?? this.timeline.machine.symbols.symbolize(f.pc)?.symbol.name ?? '??';
    return `#${i}  ${showAddress ? `0x${f.pc.toString(16).padStart(16, '0')} in ` : ''}${name} (${args})${f.file ? ` at ${f.file}:${f.line}` : ''}`;
  }

  private frameLines(): { lines: string[]; count: number } {
    const { frames, states } = this.needSource().frameStates();
    return { lines: frames.map((f, i) => this.frameLine(f, i, states[i])), count: frames.length };
  }

  /** Evaluates an expression in the selected frame to a value (with its address, when it lives in memory). */
  private evaluate(expr: string): Value {
    if (!expr.trim()) throw new CommandError('Argument required (expression to compute).');
    const ins = this.inspector();
    const frame = this.source ? this.frameState() : undefined;
    try {
      return evaluateExpression(expr, { vars: ins.vars, frame, mem: (a, n) => this.timeline.machine.readMemory(a, n) });
    } catch (e) {
      if (e instanceof ExpressionError || (e instanceof Error && e.name !== 'ReplayDivergence' && !(e instanceof TimelineError))) throw new CommandError(e.message);
      throw e;
    }
  }

  /** The memory an expression occupies (an lvalue in memory), for watch and history. */
  private storageOf(expr: string): { range: HistoryRange; type: Type } {
    const v = this.evaluate(expr);
    if (v.address === undefined) {
      throw new CommandError(v.register !== undefined ? `"${expr}" is in a register here, not in memory: it has no address to watch` : `"${expr}" is not stored in memory`);
    }
    const length = sizeOf(v.type);
    if (length < 1) throw new CommandError(`"${expr}" has no size`);
    return { range: { address: v.address, length }, type: v.type };
  }

  /** GDB's ptype: a type name, or the type of an expression. */
  private ptype(text: string): void {
    if (!text.trim()) throw new CommandError('Argument required (one or more choice items).');
    const ins = this.inspector();
    const named = ins.vars.typeNamed(text.trim().replace(/\s+/g, ' '));
    this.print(ptypeText(named ?? this.evaluate(text).type));
  }

  private showDisplays(): void {
    for (const d of this.displays) {
      try {
        this.print(`${d.id}: ${d.expr} = ${this.inspector().print(d.expr, this.source ? this.frameState() : undefined)}`);
      } catch (e) {
        this.print(`${d.id}: ${d.expr} = <error: ${e instanceof Error ? e.message : String(e)}>`);
      }
    }
  }

  /** `history EXPR` or `history ADDR LEN`. */
  private async valueHistory(text: string): Promise<void> {
    const words = text.trim().split(/\s+/);
    let range: HistoryRange;
    let type: Type | undefined;
    if (words.length === 2 && /^(0x[0-9a-f]+|\d+)$/i.test(words[0]) && /^\d+$/.test(words[1])) {
      range = { address: BigInt(words[0]), length: Number(words[1]) };
    } else {
      ({ range, type } = this.storageOf(text));
    }
    const t = this.timeline;
    const started = performance.now();
    let h;
    try {
      const controller = new AbortController();
      this.cancelHistory = () => controller.abort();
      const { progress, ...host } = this.historyOptions;
      await exploreTimeline(t, controller.signal, () => progress?.(undefined));
      h = await computeValueHistory(t, range, {
        ...host,
        signal: controller.signal,
        onProgress: (p) => progress?.(p.total > 0n ? Number(p.done) / Number(p.total) : 1),
        locate: (pc) => {
          const at = this.source?.where(pc);
          const fn = this.source ? undefined : t.machine.symbols.symbolize(Number(pc))?.symbol.name;
          return at ? { function: at.function, file: at.file, line: at.line } : { function: fn };
        },
      });
    } catch (e) {
      if (e instanceof HistoryError) throw new CommandError(e.message);
      throw e;
    } finally {
      this.cancelHistory = undefined;
      this.historyOptions.progress?.(1);
    }
    const mem = (a: bigint, n: number) => t.machine.readMemory(a, n);
    const env = t.machine.program ? this.inspector().vars.formatEnv(mem) : { mem, symbolize: () => undefined };
    for (const l of historyLines(text.trim(), h, type, env, t.machine.symbols, (performance.now() - started) / 1000)) this.print(l);
  }

  /** The selected frame's state for variables. */
  private frameState(): ReturnType<SourceDebugger['frameStates']>['states'][number] | undefined {
    const { states } = this.needSource().frameStates();
    return states[Math.min(this.selectedFrame(), states.length - 1)];
  }

  private printExpression(expr: string): void {
    if (!expr.trim()) throw new CommandError('Argument required (expression to compute).');
    const frame = this.source ? this.frameState() : undefined;
    let text: string;
    try {
      text = this.inspector().print(expr, frame);
    } catch (e) {
      if (e instanceof ExpressionError) throw new CommandError(e.message);
      throw e;
    }
    this.print(`$${++this.history} = ${text}`);
  }

  private needSource(): SourceDebugger {
    if (!this.source) throw new CommandError('this program has no line information (build it with -g): use stepi, nexti and break ADDR');
    return this.source;
  }

  /** Runs one command line; returns false on quit. */
  async execute(line: string): Promise<boolean> {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return true;
    const [cmd, ...rest] = words;
    const m = this.timeline.machine;
    if (cmd === 'hart' || cmd === 'thread') { this.selectHart(rest[0]); return true; }
    if (cmd === 'info' && (rest[0] === 'harts' || rest[0] === 'threads')) { this.listHarts(); return true; }
    // Inspection shows the selected hart (several harts): its registers, translation and frames.
    // Those commands run synchronously, so the view is back before anything else runs.
    if (this.selectedHart !== undefined && m.hartCount > 1 && !RUNNING_COMMANDS.has(cmd)) {
      return m.withHart(this.selectedHart, () => this.dispatch(cmd, rest, line));
    }
    return this.dispatch(cmd, rest, line);
  }

  /** `hart N`: the hart that inspection and stepi/reverse-stepi follow; `hart` alone says which. */
  private selectHart(word: string | undefined): void {
    const m = this.timeline.machine;
    if (word === undefined) {
      this.print(this.selectedHart === undefined ? `following the hart that runs (hart ${this.timeline.hartAt(this.timeline.icount)} of ${m.hartCount})` : `hart ${this.selectedHart} of ${m.hartCount}`);
      return;
    }
    if (word === 'running') { this.selectedHart = undefined; this.print('following the hart that runs'); return; }
    const h = Number(word);
    if (!/^\d+$/.test(word) || h >= m.hartCount) throw new CommandError(`there is no hart ${word}: the machine has ${m.hartCount} (0 to ${m.hartCount - 1})`);
    this.selectedHart = h;
    const pc = m.pcOf(h);
    this.print(`hart ${h}: pc 0x${pc.toString(16).padStart(16, '0')} <${m.symbols.format(Number(pc))}>`);
  }

  /** `info harts`: every hart's pc, the one that runs here and the one selected. */
  private listHarts(): void {
    const m = this.timeline.machine;
    const running = this.timeline.hartAt(this.timeline.icount);
    for (let h = 0; h < m.hartCount; h++) {
      const pc = m.pcOf(h);
      const notes = [h === running ? 'runs here' : '', h === this.selectedHart ? 'selected' : ''].filter(Boolean).join(', ');
      this.print(`${h === (this.selectedHart ?? running) ? '*' : ' '} hart ${h}  0x${pc.toString(16).padStart(16, '0')} <${m.symbols.format(Number(pc))}>  ${PRIVILEGE_NAMES[m.privilegeOf(h)] ?? ''}${notes ? `  (${notes})` : ''}`);
    }
  }

  private async dispatch(cmd: string, rest: string[], line: string): Promise<boolean> {
    const t = this.timeline;
    switch (cmd) {
      case 'quit': case 'q': case 'exit':
        return false;
      case 'help': case 'h':
        this.print(HELP);
        return true;
      case 'note': {
        const text = line.trim().replace(/^\S+\s*/, '');
        if (text === '') throw new CommandError('note needs some text: note TEXT');
        const list = this.notes.list;
        const id = list.reduce((m, n) => Math.max(m, n.id), 0) + 1;
        list.push({ id, icount: t.icount, text });
        list.sort((a, b) => (a.icount < b.icount ? -1 : a.icount > b.icount ? 1 : a.id - b.id));
        const saved = this.notes.save?.(list);
        this.print(`note ${id} at icount ${t.icount}${saved ? `: ${saved}` : ''}`);
        return true;
      }
      case 'stepi': case 'si':
        this.motion(this.onSelectedHart(rest[0], () => t.stepiOnHart(this.selectedHart as number), (n) => t.stepi(n)));
        return true;
      case 'reverse-stepi': case 'rsi':
        this.motion(this.onSelectedHart(rest[0], () => t.reverseStepiOnHart(this.selectedHart as number), (n) => t.reverseStepi(n)));
        return true;
      case 'step': case 's':
        this.motion(await this.needSource().step());
        return true;
      case 'next': case 'n':
        this.motion(await this.needSource().next());
        return true;
      case 'finish':
        this.motion(await this.needSource().finish());
        return true;
      case 'reverse-step': case 'rs':
        this.motion(await this.needSource().reverseStep());
        return true;
      case 'reverse-next': case 'rn':
        this.motion(await this.needSource().reverseNext());
        return true;
      case 'reverse-finish':
        this.motion(await this.needSource().reverseFinish());
        return true;
      case 'bt': case 'backtrace': case 'where': {
        for (const l of this.frameLines().lines) this.print(l);
        return true;
      }
      case 'frame': case 'f': case 'up': case 'down': {
        const { lines, count } = this.frameLines();
        let n: number;
        if (cmd === 'up' || cmd === 'down') {
          const by = rest[0] === undefined ? 1 : Number(this.number(rest[0], `${cmd} needs a number of frames`));
          n = this.selectedFrame() + (cmd === 'up' ? by : -by);
          if (n < 0) {
            if (this.selectedFrame() === 0) throw new CommandError('Bottom (innermost) frame selected; you cannot go down.');
            n = 0;
          }
          if (n >= count) {
            if (this.selectedFrame() === count - 1) throw new CommandError('Initial frame selected; you cannot go up.');
            n = count - 1;
          }
        } else {
          n = rest[0] === undefined ? this.selectedFrame() : Number(this.number(rest[0], 'frame needs a frame number'));
          if (n >= count) throw new CommandError('No frame at level ' + rest[0] + '.');
        }
        this.selected = { frame: n, icount: t.icount };
        this.print(lines[n]);
        return true;
      }
      case 'ptype': case 'whatis':
        if (cmd === 'whatis') this.print(`type = ${typeName(this.evaluate(line.trim().replace(/^\S+\s*/, '')).type)}`);
        else this.ptype(line.trim().replace(/^\S+\s*/, ''));
        return true;
      case 'display': {
        const expr = line.trim().replace(/^\S+\s*/, '');
        if (!expr) { this.showDisplays(); return true; }
        this.evaluate(expr);
        this.displays.push({ id: this.nextDisplay++, expr });
        const d = this.displays[this.displays.length - 1];
        this.print(`${d.id}: ${d.expr} = ${this.inspector().print(d.expr, this.source ? this.frameState() : undefined)}`);
        return true;
      }
      case 'undisplay': {
        if (rest[0] === undefined) { this.displays.length = 0; return true; }
        const i = this.displays.findIndex((d) => String(d.id) === rest[0]);
        if (i < 0) throw new CommandError(`No display number ${rest[0]}.`);
        this.displays.splice(i, 1);
        return true;
      }
      case 'history':
        await this.valueHistory(line.trim().replace(/^\S+\s*/, ''));
        return true;
      case 'print': case 'p':
        this.printExpression(line.trim().replace(/^\S+\s*/, ''));
        return true;
      case 'list': case 'l':
        this.list(rest[0]);
        return true;
      case 'nexti': case 'ni':
        this.motion(await t.stepOver());
        return true;
      case 'reverse-nexti': case 'rni':
        this.motion(await t.reverseStepOver());
        return true;
      case 'continue': case 'c':
        this.motion(await this.untilUserStop(() => t.continue()));
        return true;
      case 'reverse-continue': case 'rc':
        this.motion(await this.untilUserStop(() => t.reverseContinue()));
        return true;
      case 'seek':
        this.motion(t.seek(this.number(rest[0], 'seek needs an instruction count')));
        return true;
      case 'replay-break':
        if (rest[0] === 'none' || rest[0] === 'delete') { t.deleteReplayBreak(); this.print('replay-break removed'); return true; }
        t.replayBreak(this.number(rest[0], 'replay-break needs an instruction count'));
        this.print(`replay-break at icount ${rest[0]}`);
        return true;
      case 'break': case 'b': case 'tbreak': case 'condition': case 'ignore': case 'enable': case 'disable':
        this.breakpointCommand(cmd, line.trim().replace(/^\S+\s*/, ''));
        return true;
      case 'watch': {
        let access: 'write' | 'read' | 'access' = 'write';
        const a = [...rest];
        if (a[0] === '-r') { access = 'read'; a.shift(); } else if (a[0] === '-a') { access = 'access'; a.shift(); }
        if (!a[0]) throw new CommandError('watch needs an expression, an address or a symbol');
        const numeric = /^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(a[0].replace(/^\*/, ''));
        if (!numeric && t.machine.program && !(a.length === 2 && /^\d+$/.test(a[1]))) {
          const text = line.trim().replace(/^\S+\s*/, '').replace(/^-[ra]\s+/, '');
          let storage: { range: HistoryRange } | undefined;
          try { storage = this.storageOf(text); } catch (e) { if (!(e instanceof CommandError) || !e.message.startsWith('No symbol') || t.machine.symbols.lookup(a[0]) === undefined) throw e; }
          if (storage) {
            const wp = t.addWatchpoint(storage.range.address, storage.range.length, access);
            wp.label = text;
            const n = this.breakpoints.adoptWatchpoint(wp).number;
            this.print(`watchpoint ${n}: ${access} of ${storage.range.length} bytes at 0x${wp.address.toString(16)} <${text}>`);
            return true;
          }
        }
        const where = this.location(a[0]);
        const sym = typeof where === 'string' ? t.machine.symbols.lookup(where) : undefined;
        const length = a[1] ? Number(this.number(a[1], 'watch length must be a number')) : sym && sym.size > 0 && sym.size <= 8 ? sym.size : 8;
        const wp = t.addWatchpoint(where, length, access);
        const n = this.breakpoints.adoptWatchpoint(wp).number;
        this.print(`watchpoint ${n}: ${access} of ${length} bytes at 0x${wp.address.toString(16)} <${wp.label}>`);
        return true;
      }
      case 'delete': case 'd':
        if (rest[0] === undefined) { this.breakpoints.deleteAll(); this.print('deleted all breakpoints and watchpoints'); return true; }
        if (!this.breakpoints.delete(Number(this.number(rest[0], 'delete needs a number')))) throw new CommandError(`no breakpoint or watchpoint ${rest[0]}`);
        this.print(`deleted ${rest[0]}`);
        return true;
      case 'info': case 'i':
        this.info(rest.length ? rest.join(' ') : undefined);
        return true;
      default:
        if (cmd.startsWith('x/') || cmd === 'x') { this.examine(cmd, line.trim().replace(/^\S+\s*/, '')); return true; }
        throw new CommandError(`unknown command "${cmd}" (try "help")`);
    }
  }

  /** break, tbreak, condition, ignore, enable, disable: debug-breakpoints.ts, with its errors as this prompt's. */
  private breakpointCommand(cmd: string, args: string): void {
    try {
      this.breakpointCommands.run(cmd, args);
    } catch (e) {
      if (e instanceof BreakpointCommandError) throw new CommandError(e.message);
      throw e;
    }
  }

  /** The number the user knows a Timeline trap by. */
  private userNumber(trapId: number | undefined): string {
    if (trapId === undefined) return '?';
    const n = this.breakpoints.ofTrap(trapId)?.number ?? (this.lastStop?.trapId === trapId ? this.lastStop.number : undefined);
    return String(n ?? trapId);
  }

  /** continue / reverse-continue past stops whose condition is false or whose ignore count is not spent, as GDB does. */
  private async untilUserStop(run: () => Promise<MotionResult>): Promise<MotionResult> {
    for (;;) {
      const r = await run();
      const trapId = r.reason === 'breakpoint' ? r.breakpointId : r.reason === 'watchpoint' ? r.watchpointId : undefined;
      if (trapId === undefined) return r;
      const number = this.breakpoints.ofTrap(trapId)?.number;
      const verdict = this.breakpoints.judge(trapId, (expr) => this.truth(expr));
      if (verdict.stop) {
        if (number !== undefined) this.lastStop = { trapId, number };
        return r;
      }
    }
  }

  /** A condition's value as C truth: not all zero. Errors propagate (the breakpoint then stops, as GDB's does). */
  private truth(expr: string): boolean {
    return this.evaluate(expr).bytes.some((b) => b !== 0);
  }

  private count(word: string | undefined): bigint {
    if (word === undefined) return 1n;
    const n = this.number(word, 'the count must be a number');
    if (n < 1n) throw new CommandError('the count must be 1 or more');
    return n;
  }

  private number(word: string | undefined, message: string): bigint {
    if (word === undefined || !/^(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(word)) throw new CommandError(message);
    return BigInt(word.replace(/_/g, ''));
  }

  private location(word: string): bigint | string {
    if (/^(0x[0-9a-fA-F_]+|[0-9]+)$/.test(word)) return BigInt(word.replace(/_/g, ''));
    if (word.startsWith('*')) return this.location(word.slice(1));
    return word;
  }

  private address(word: string | undefined): bigint {
    if (!word) throw new CommandError('an address or a symbol is needed');
    const loc = this.location(word);
    if (typeof loc === 'bigint') return loc;
    const s = this.timeline.machine.symbols.lookup(loc);
    if (!s) throw new CommandError(`no symbol named "${loc}"`);
    return BigInt(s.address);
  }

  /** stepi/reverse-stepi: on the selected hart, one of its instructions at a time; otherwise n instructions of any hart. */
  private onSelectedHart(word: string | undefined, one: () => MotionResult, all: (n: bigint) => MotionResult): MotionResult {
    const n = this.count(word);
    if (this.selectedHart === undefined || this.timeline.machine.hartCount < 2) return all(n);
    let r = one();
    for (let i = 1n; i < n && r.reason === 'step'; i++) r = one();
    return r;
  }

  /** The one line printed after every motion. */
  motion(r: MotionResult): void {
    const t = this.timeline;
    const pc = r.pc;
    const insn = instructionAt(t.machine, pc);
    const bits = insn?.bits ?? 0;
    const symbolize = (a: number) => { const s = t.machine.symbols.symbolize(a); return s ? (s.offset ? `${s.symbol.name}+0x${s.offset.toString(16)}` : s.symbol.name) : undefined; };
    const text = insn ? disassemble(bits, Number(pc), symbolize).text.replace('\t', ' ') : '(no instruction here)';
    const at = this.source?.where(pc);
    const src = at ? ` ${at.file.replace(/^\.\//, '')}:${at.line}` : '';
    const hart = t.machine.hartCount > 1 ? ` hart ${r.hart}` : '';
    this.print(`[${r.icount}]${hart} 0x${pc.toString(16).padStart(16, '0')} <${t.machine.symbols.format(Number(pc))}>${src}: ${text}  -- ${this.reason(r)}`);
    this.showDisplays();
  }

  private reason(r: MotionResult): string {
    switch (r.reason) {
      case 'step': return 'stepped';
      case 'breakpoint': return `breakpoint ${this.userNumber(r.breakpointId)}`;
      case 'watchpoint': {
        const w = r.watch;
        const n = this.userNumber(r.watchpointId);
        if (!w) return `watchpoint ${n}`;
        const by = `by 0x${w.pc.toString(16)} <${this.timeline.machine.symbols.format(Number(w.pc))}>`;
        return w.kind === 'write'
          ? `watchpoint ${n}: write of ${w.size} bytes at 0x${w.address.toString(16)} ${by}: old 0x${w.oldValue.toString(16)}, new 0x${w.newValue.toString(16)}`
          : `watchpoint ${n}: read of ${w.size} bytes at 0x${w.address.toString(16)} ${by}: value 0x${w.newValue.toString(16)}`;
      }
      case 'replay-break': return 'replay-break';
      case 'exit': return `program exited with status ${r.exitCode ?? '?'} (end of the recording)`;
      case 'start': return 'start of the recording: no more reverse-execution history';
      case 'end': return 'end of the recording: no more forward-execution history';
      default: return r.message ? `${r.reason}: ${r.message}` : r.reason;
    }
  }

  private info(what: string | undefined): void {
    const t = this.timeline;
    switch (what) {
      case 'float': case 'registers float': case 'reg float': case 'r float':
        this.printFloat();
        return;
      case 'registers': case 'reg': case 'r': {
        const regs = t.machine.registers();
        this.print(`pc       0x${t.pc.toString(16).padStart(16, '0')} <${t.machine.symbols.format(Number(t.pc))}>   privilege ${PRIVILEGE_NAMES[t.machine.privilege] ?? t.machine.privilege}`);
        for (let i = 0; i < 32; i += 4) {
          this.print([0, 1, 2, 3].map((k) => `${`x${i + k}/${ABI_NAMES[i + k]}`.padEnd(8)} 0x${regs[i + k].toString(16).padStart(16, '0')}`).join('  '));
        }
        for (const [name, num] of MAIN_CSRS) {
          const v = t.machine.readCsr(num);
          if (v !== undefined) this.print(`${name.padEnd(8)} 0x${v.toString(16).padStart(16, '0')}`);
        }
        return;
      }
      case 'replay': {
        const i = t.info();
        this.print(`mode ${i.mode}, recording ${i.name}, icount ${i.icount} of ${i.length}` +
          `${i.ended ? ` (ends: ${i.ended.reason}${i.ended.exitCode !== undefined ? ` ${i.ended.exitCode}` : ''})` : ''}` +
          `, ${i.snapshots.count} snapshots (${(i.snapshots.bytes / 1048576).toFixed(1)} MiB)` +
          `${i.replayBreak !== undefined ? `, replay-break at ${i.replayBreak}` : ''}`);
        return;
      }
      case 'breakpoints': case 'break': case 'b': case 'watchpoints':
        this.breakpointCommands.info();
        return;
      case 'notes': {
        if (this.notes.list.length === 0) { this.print('no notes'); return; }
        for (const n of this.notes.list) this.print(`${n.id}  icount ${n.icount}${n.end !== undefined ? `-${n.end}` : ''}  ${terminalSafe(n.text)}`);
        return;
      }
      case 'locals': case 'args': {
        const frame = this.frameState();
        const ins = this.inspector();
        for (const l of what === 'locals' ? ins.locals(frame) : ins.args(frame)) this.print(l);
        return;
      }
      default:
        throw new CommandError('info needs one of: registers, float, replay, breakpoints, notes, locals, args');
    }
  }

  /** f0..f31 as doubles (NaN-boxed singles as singles) with their bits, and fcsr; as GDB's `info float`. */
  private printFloat(): void {
    const m = this.timeline.machine;
    const fcsr = m.readCsr(FCSR_NUMBER);
    if (fcsr === undefined) {
      this.print('the floating-point unit is off (mstatus.FS = Off): f registers and fcsr are not accessible');
      return;
    }
    const view = new DataView(new ArrayBuffer(8));
    m.fpRegisters().forEach((bits, i) => {
      view.setBigUint64(0, bits, true);
      const boxed = bits >> 32n === 0xffffffffn;
      const value = boxed ? `${view.getFloat32(0, true)} (single)` : `${view.getFloat64(0, true)}`;
      this.print(`${`f${i}/${FP_REG_NAMES[i]}`.padEnd(9)} 0x${bits.toString(16).padStart(16, '0')}  ${value}`);
    });
    const flags = ['NX', 'UF', 'OF', 'DZ', 'NV'].filter((_, bit) => (fcsr >> BigInt(bit)) & 1n).reverse();
    const frm = Number((fcsr >> 5n) & 7n);
    this.print(`fcsr      0x${fcsr.toString(16).padStart(2, '0')}  frm ${ROUNDING_MODES[frm] ?? frm}, flags ${flags.length ? flags.join(' ') : 'none'}`);
  }

  private list(where: string | undefined): void {
    const here = this.source?.where();
    let file = here?.file;
    let line = here?.line ?? 1;
    if (where) {
      const m = /^(?:(.+):)?(\d+)$/.exec(where);
      if (!m) throw new CommandError('list needs [FILE:]LINE');
      if (m[1]) file = m[1];
      line = Number(m[2]);
    }
    if (!file) throw new CommandError('no current source line: give list FILE:LINE');
    const text = this.findSource(file);
    if (text === undefined) throw new CommandError(`source file ${file} is not at hand`);
    const lines = text.split('\n');
    for (let n = Math.max(1, line - 5); n <= Math.min(lines.length, line + 5); n++) {
      this.print(`${n === here?.line && file === here?.file ? '=>' : '  '}${String(n).padStart(5)}  ${lines[n - 1]}`);
    }
  }

  private findSource(file: string): string | undefined {
    const base = file.split('/').pop() ?? file;
    for (const [path, text] of Object.entries(this.sourceFiles)) {
      if (path === file || path.split('/').pop() === base) return text;
    }
    return undefined;
  }

  private examine(cmd: string, where: string): void {
    let spec;
    try {
      spec = parseExamine(cmd, this.lastExamine);
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    if (spec.count < 1 || spec.count > 4096) throw new CommandError('x: the count must be 1..4096');
    this.lastExamine = { format: spec.format, size: spec.size };
    let addr: bigint;
    const word = where.trim();
    if (/^\*?(0x[0-9a-fA-F_]+|[0-9_]+)$/.test(word) || !this.timeline.machine.program) addr = this.address(word || undefined);
    else {
      // An expression: a pointer or integer gives the address; an lvalue (an array, a struct) its own address.
      let v: Value | undefined;
      try { v = this.evaluate(word); } catch (e) { if (this.timeline.machine.symbols.lookup(word) === undefined) throw e; }
      if (!v) addr = this.address(word);
      else {
        const k = (v.type.kind === 'typedef' || v.type.kind === 'qualified') ? (ptrKind(v.type)) : v.type.kind;
        if ((k === 'pointer' || k === 'base' || k === 'enum') && v.bytes.length > 0) {
          let x = 0n;
          for (let i = v.bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(v.bytes[i]);
          addr = x;
        } else if (v.address !== undefined) addr = v.address;
        else throw new CommandError(`cannot examine "${word}": it has no address`);
      }
    }
    const bytes = this.timeline.machine.readMemory(addr, spec.count * spec.size);
    if (!bytes) throw new CommandError(`Cannot access memory at address 0x${addr.toString(16)}`);
    for (const l of examineLines(spec, addr, bytes, this.timeline.machine.symbols)) this.print(l);
  }
}

function ptrKind(t: Type): Type['kind'] {
  let x = t;
  for (let i = 0; i < 64 && (x.kind === 'typedef' || x.kind === 'qualified'); i++) x = x.target;
  return x.kind;
}
