// The Variables panel's side in the worker: the locals, arguments and chosen
// expressions of a call-stack frame, their members and elements, and the history
// of a value (every write to its storage across the recording, in parallel).
import type { Timeline } from '../replay/timeline';
import { SourceDebugger } from '../replay/source';
import type { DebugInfo } from '../formats/dwarf';
import type { ElfImage } from '../formats/elf';
import { Variables, VariableError, type FrameState } from '../formats/dwarf/variables';
import { evaluateExpression, ExpressionError } from '../formats/dwarf/expr';
import { formatValue, toBigInt, toFloat, type FormatEnv, type Value } from '../formats/dwarf/value';
import { isCharType, isFloat, isInteger, sizeOf, strip, typeName, type Type } from '../formats/dwarf/types';
import { computeValueHistory, exploreTimeline, type HistoryChannel, type ValueWrite } from '../replay/value-history';
import type { HistoryAnswer, HistoryWrite, SourcePosition, VariableNode, VariablesView } from '../engine-api';

const PAGE = 100;
const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface HistoryHost {
  spawn?: () => HistoryChannel;
  wasm?: WebAssembly.Module | Uint8Array;
  workers?: number;
}

export class SessionVariables {
  private readonly vars: Variables;

  constructor(private readonly timeline: Timeline, private readonly debug: DebugInfo, image: ElfImage,
    private readonly source: (pc: number) => SourcePosition | undefined) {
    this.vars = Variables.fromElf(image);
  }

  private mem = (a: bigint, n: number): Uint8Array | undefined => this.timeline.machine.readMemory(a, n);
  private env(): FormatEnv { return this.vars.formatEnv(this.mem); }

  private frameState(frame: number): { state: FrameState | undefined; name?: string } {
    const { frames, states } = new SourceDebugger(this.timeline, this.debug).frameStates();
    const i = Math.max(0, Math.min(frame, states.length - 1));
    return { state: states[i], ...(frames[i]?.function ? { name: frames[i].function } : {}) };
  }

  private evaluate(expression: string, state: FrameState | undefined): Value {
    try {
      return evaluateExpression(expression, { vars: this.vars, frame: state, mem: this.mem });
    } catch (e) {
      if (e instanceof VariableError) throw new ExpressionError(e.message);
      throw e;
    }
  }

  private node(name: string, expression: string, state: FrameState | undefined): VariableNode {
    let v: Value;
    try {
      v = this.evaluate(expression, state);
    } catch (e) {
      return { name, expression, value: messageOf(e), type: '', expandable: false, error: true };
    }
    let text: string;
    try {
      text = formatValue(v, this.env());
    } catch (e) {
      text = `<error: ${messageOf(e)}>`;
    }
    const node: VariableNode = { name, expression, value: text, type: typeName(v.type), expandable: expandable(v.type) };
    if (v.address !== undefined && v.address <= BigInt(Number.MAX_SAFE_INTEGER) && sizeOf(v.type) > 0) {
      node.address = Number(v.address);
      node.size = sizeOf(v.type);
    }
    return node;
  }

  variables(frame: number, expressions: string[]): VariablesView {
    const icount = Number(this.timeline.icount);
    let state: FrameState | undefined;
    let fn: string | undefined;
    try {
      ({ state, name: fn } = this.frameState(frame));
    } catch (e) {
      return { icount, frame, args: [], locals: [], expressions: expressions.map((x) => this.node(x, x, undefined)), problem: messageOf(e) };
    }
    const view: VariablesView = {
      icount, frame, args: [], locals: [], expressions: expressions.map((x) => this.node(x, x, state)),
      ...(fn ? { function: fn } : {}),
    };
    if (!state) { view.problem = 'No frame here.'; return view; }
    try {
      view.args = this.vars.args(state).map((v) => this.node(v.name, v.name, state));
      view.locals = this.vars.locals(state).map((v) => this.node(v.name, v.name, state));
    } catch (e) {
      view.problem = messageOf(e);
    }
    return view;
  }

  /** Members, elements or the pointed-to value of an expression. */
  expand(frame: number, expression: string, from = 0): VariableNode[] {
    const { state } = this.frameState(frame);
    const v = this.evaluate(expression, state);
    const t = strip(v.type);
    const base = /^[\w$.[\]>-]+$/.test(expression) && !expression.includes('->') ? expression : `(${expression})`;
    switch (t.kind) {
      case 'struct': case 'union':
        return t.members.filter((m) => m.name !== undefined).map((m) => this.node(`.${m.name}`, `${base}.${m.name}`, state));
      case 'array': {
        const count = t.count ?? 0;
        const out: VariableNode[] = [];
        for (let i = from; i < Math.min(count, from + PAGE); i++) out.push(this.node(`[${i}]`, `${base}[${i}]`, state));
        return out;
      }
      case 'pointer': return [this.node(`*${expression}`, `*${base}`, state)];
      default: return [];
    }
  }

  /** The history of an expression's storage. */
  async history(expression: string, frame: number, host: HistoryHost, signal: AbortSignal,
    progress: (fraction: number) => void): Promise<HistoryAnswer> {
    const { state } = this.frameState(frame);
    const v = this.evaluate(expression, state);
    if (v.address === undefined) throw new Error(`${expression} is not stored in memory here: it has no history to show`);
    const size = sizeOf(v.type);
    if (size < 1 || size > 1 << 20) throw new Error(`${expression} has no size that can be watched`);
    const tl = this.timeline;
    const started = performance.now();
    await exploreTimeline(tl, signal);
    const h = await computeValueHistory(tl, { address: v.address, length: size }, {
      ...host, signal, onProgress: (p) => progress(p.total > 0n ? Number(p.done) / Number(p.total) : 1),
    });
    const show = (b: Uint8Array | undefined): { text: string; number?: number } => {
      if (!b) return { text: '<unreadable>' };
      const value: Value = { type: v.type, bytes: b };
      let text: string;
      try { text = formatValue(value, this.env()); } catch (e) { text = `<error: ${messageOf(e)}>`; }
      return { text, ...numberOf(value) };
    };
    const writes = h.writes.map((w: ValueWrite): HistoryWrite => {
      const after = show(w.after);
      const src = this.source(Number(w.pc));
      return {
        icount: Number(w.icount), hart: w.hart, pc: hex(w.pc), pcLabel: tl.machine.symbols.format(Number(w.pc)),
        before: show(w.before).text, after: after.text,
        ...(after.number !== undefined ? { number: after.number } : {}),
        ...(src ? { source: src } : {}), ...(src?.function ? { function: src.function } : {}),
      };
    });
    const initial = show(h.initial);
    return {
      expression, address: Number(v.address), size, type: typeName(v.type), initial: initial.text,
      ...(initial.number !== undefined ? { initialNumber: initial.number } : {}),
      writes, length: Number(tl.length), seconds: (performance.now() - started) / 1000, workers: h.workers,
      segments: h.segments, skipped: h.skipped, cancelled: h.cancelled,
    };
  }
}

function expandable(t: Type): boolean {
  const s = strip(t);
  if (s.kind === 'struct' || s.kind === 'union') return s.members.length > 0;
  if (s.kind === 'array') return (s.count ?? 0) > 0;
  if (s.kind === 'pointer') {
    const target = strip(s.target);
    return target.kind === 'struct' || target.kind === 'union' || target.kind === 'array' || (target.kind === 'base' && !isCharType(target)) || target.kind === 'pointer';
  }
  return false;
}

function numberOf(v: Value): { number?: number } {
  const s = strip(v.type);
  if (isFloat(s)) { const x = toFloat(v); return Number.isFinite(x) ? { number: x } : {}; }
  if (isInteger(s) || s.kind === 'pointer') return { number: Number(toBigInt(v)) };
  return {};
}
