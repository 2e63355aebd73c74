// One GDB connection: requests from the remote protocol mapped onto a Timeline.
// No host dependency: the transport (TCP in Node, a message port in a browser)
// feeds received bytes to `receive` and sends what `send` is given.
//
// Each hart is a thread (thread id = hart + 1, as QEMU's gdbstub numbers its
// CPUs; workers/gdb/threads.ts). `Hg` picks the hart whose registers and
// memory (under its translation) `g`, `p` and `m` read; a stop reply names
// the hart that stopped and makes it the selected one, as GDB assumes. Time
// is the Timeline's icount, global over the harts; forward motions run (or
// replay) the program, `bs` and `bc` travel back. Stepping a thread steps its
// hart: the other harts run their turns meanwhile, as the schedule has it. Writes to registers or memory are refused: the execution must stay
// the one in the log.
import { ReplayDivergence, TimelineError, type MotionResult, type Timeline } from '../replay/timeline';
import {
  PacketReader, PACKET_SIZE, encodePacket, escapeBinary, fromHex, latin1, latin1String, parseHexNumber,
  registerHex, textToHex, toHex, unescapeBinary, type ReaderEvent,
} from './packet';
import { registerAt, targetXml, PC_REGNUM } from './target-description';
import { runMonitorCommand } from './monitor';
import { formatThreadId, parseThreadId, type ThreadSelector } from './threads';

export interface SessionHost {
  /** Sends bytes to GDB. */
  send(bytes: Uint8Array): void;
  /** Closes the connection (after sending what was queued). */
  close(): void;
  /** A line for the server's log (not sent to GDB). */
  log(message: string): void;
}

export interface SessionOptions {
  /** The file being served, for `monitor info replay`. */
  file: string;
}

/** Z-packet types. */
const enum ZType { Software = 0, Hardware = 1, Write = 2, Read = 3, Access = 4 }

interface InsertedTrap { id: number; type: ZType; address: bigint; length: number }

type QueueItem = { data: Uint8Array } | { error: string };

type MotionKind = 'continue' | 'step' | 'reverse-continue' | 'reverse-step';

/** A motion: for steps, the hart that steps, and whether the other harts are resumed too (their traps stop it). */
interface Motion { kind: MotionKind; hart: number; othersRun: boolean }

const SIGINT = 2, SIGTRAP = 5, SIGABRT = 6;
/** Packets a client may have queued while a motion runs; more means it is not GDB. */
const MAX_QUEUED = 256;
/** Largest memory read answered at once (the reply is twice as long in hex). */
const MAX_READ = (PACKET_SIZE >> 1) - 16;
/** The core keeps breakpoints in a hash set of this size (workers/engine/machine.ts setBreakpoints). */
const MAX_BREAKPOINTS = 512;

export class GdbSession {
  private readonly reader = new PacketReader();
  private ackMode = true;
  private lastSent: Uint8Array | undefined;
  private readonly queue: QueueItem[] = [];
  private pumping = false;
  private closing = false;
  private closed = false;
  private motion: AbortController | undefined;
  /** An interrupt that arrived after a resume packet that has not started yet. */
  private interruptQueued = false;
  private readonly traps = new Map<string, InsertedTrap>();
  private gdbSwbreak = false;
  private gdbHwbreak = false;
  /** The last stop reply; before any, `?` names the current thread. */
  private lastStop: string | undefined;
  /**
   * GDB's current thread, as far as the server can tell: the hart of the last
   * stop, or the one `thread N` checked with a T packet since. `bs` and `bc`
   * carry no thread and GDB sends `Hc0` before them unless scheduler locking
   * is on: they act on this one.
   */
  private currentHart = 0;
  /** Hg: the hart whose registers and memory are read. */
  private gHart = 0;
  /** Hc: the hart that c, s and bs resume, or undefined for "any" or "all". */
  private cHart: number | undefined;
  /** Thread ids in GDB's multiprocess form (several harts, and GDB offered it). */
  private multiprocess = false;
  private replayBreakSet = false;
  private finishedPromise: Promise<void>;
  private resolveFinished!: () => void;
  private cleanedUp = false;

  constructor(readonly timeline: Timeline, private readonly host: SessionHost, private readonly options: SessionOptions) {
    this.finishedPromise = new Promise((resolve) => { this.resolveFinished = resolve; });
  }

  /** Resolves once the connection is gone and nothing of it runs any more (its traps are removed). */
  get finished(): Promise<void> { return this.finishedPromise; }

  /** Bytes from GDB. Never throws. */
  receive(chunk: Uint8Array): void {
    if (this.closed || this.closing) return;
    let events: ReaderEvent[];
    try {
      events = this.reader.push(chunk);
    } catch (e) {
      this.host.log(`internal error reading packets: ${(e as Error).message}`);
      this.shutdown();
      return;
    }
    for (const e of events) {
      switch (e.kind) {
        case 'ack':
          break;
        case 'nack':
          if (this.ackMode && this.lastSent) this.host.send(this.lastSent);
          break;
        case 'interrupt':
          if (this.motion) this.motion.abort();
          else if (this.queue.some((q) => 'data' in q && isResume(q.data))) this.interruptQueued = true;
          break;
        case 'bad-checksum':
          if (this.ackMode) this.host.send(latin1('-'));
          break;
        case 'malformed':
          this.ack();
          this.enqueue({ error: e.reason });
          break;
        case 'oversized':
          this.ack();
          this.enqueue({ error: `packet longer than ${PACKET_SIZE} bytes` });
          break;
        case 'flood':
          this.host.log('closing the connection: too much data that is not the GDB remote protocol');
          this.shutdown();
          return;
        case 'packet':
          this.ack();
          this.enqueue({ data: e.data });
          break;
      }
    }
    this.pump().catch((e: unknown) => {
      this.host.log(`internal error: ${(e as Error).stack ?? String(e)}`);
      this.shutdown();
    });
  }

  /** The transport closed: stop what runs, then clean up. */
  disconnect(): void {
    if (this.closed) return;
    this.closed = true;
    this.motion?.abort();
    this.queue.length = 0;
    if (!this.pumping) this.finish();
  }

  private ack(): void {
    if (this.ackMode) this.host.send(latin1('+'));
  }

  private enqueue(item: QueueItem): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.host.log('closing the connection: too many packets queued');
      this.shutdown();
      return;
    }
    this.queue.push(item);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && !this.closing && this.queue.length > 0) {
        const item = this.queue.shift() as QueueItem;
        let reply: string | Uint8Array | undefined;
        if ('error' in item) {
          reply = errorText(item.error);
        } else {
          try {
            reply = await this.handle(item.data);
          } catch (e) {
            this.host.log(`error handling "${describePacket(item.data)}": ${(e as Error).stack ?? String(e)}`);
            reply = errorText(`internal error: ${(e as Error).message}`);
          }
        }
        if (reply !== undefined && !this.closed) this.sendPacket(reply);
        if (this.closing) this.shutdown();
      }
    } finally {
      this.pumping = false;
      if (this.closed) this.finish();
    }
  }

  private sendPacket(data: string | Uint8Array): void {
    const framed = encodePacket(data);
    this.lastSent = framed;
    this.host.send(framed);
  }

  /** Closes the connection from our side. */
  private shutdown(): void {
    this.closing = true;
    this.host.close();
    this.disconnect();
  }

  /** Removes what this client set on the shared Timeline; runs once, when nothing of it runs any more. */
  private finish(): void {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    for (const t of this.traps.values()) this.timeline.deleteTrap(t.id);
    this.traps.clear();
    if (this.replayBreakSet) this.timeline.deleteReplayBreak();
    this.resolveFinished();
  }

  // ---- requests ----

  private async handle(data: Uint8Array): Promise<string | Uint8Array | undefined> {
    const text = latin1String(data);
    switch (text[0]) {
      case '?': return this.lastStop ?? `T05thread:${this.threadId(this.currentHart)};`;
      case 'g': return this.readAllRegisters();
      case 'G': return this.refuseWrite('registers');
      case 'p': return this.readRegister(text.slice(1));
      case 'P': return this.refuseWrite('registers');
      case 'm': return this.readMemory(text.slice(1));
      case 'M': return this.writeMemory(text.slice(1), false, data);
      case 'X': return this.writeMemory(text.slice(1), true, data);
      case 'c': case 'C': return this.resume(text, 'continue');
      case 's': case 'S': return this.resume(text, 'step');
      case 'b':
        if (text === 'bc') return this.move(this.motion0('reverse-continue'));
        if (text === 'bs') return this.move(this.motion0('reverse-step'));
        return '';
      case 'v': return this.vPacket(text);
      case 'q': return this.query(text);
      case 'Q':
        if (text === 'QStartNoAckMode') {
          this.sendPacket('OK');
          this.ackMode = false;
          return undefined;
        }
        return '';
      case 'H': return this.setThread(text);
      case 'T': return this.threadAlive(text.slice(1));
      case 'k':
        this.closing = true;
        return undefined;
      case 'D':
        this.closing = true;
        return 'OK';
      case 'Z': case 'z': return this.trapPacket(text);
      default: return '';
    }
  }

  private query(text: string): string | undefined {
    const name = text.split(/[:,;]/, 1)[0];
    switch (name) {
      case 'qSupported': {
        const features = text.slice('qSupported:'.length).split(';');
        this.gdbSwbreak = features.includes('swbreak+');
        this.gdbHwbreak = features.includes('hwbreak+');
        this.multiprocess = this.harts > 1 && features.includes('multiprocess+');
        return [
          `PacketSize=${PACKET_SIZE.toString(16)}`, 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'QStartNoAckMode+',
          'vContSupported+', 'ReverseStep+', 'ReverseContinue+', ...(this.multiprocess ? ['multiprocess+'] : []),
        ].join(';');
      }
      case 'qXfer': return this.xfer(text);
      case 'qAttached': return '1';
      case 'qC': return `QC${this.threadId(this.currentHart)}`;
      case 'qfThreadInfo': return 'm' + Array.from({ length: this.harts }, (_, h) => this.threadId(h)).join(',');
      case 'qsThreadInfo': return 'l';
      case 'qThreadExtraInfo': return this.threadExtraInfo(text.slice('qThreadExtraInfo,'.length));
      case 'qSymbol': return 'OK';
      case 'qRcmd': return this.rcmd(text.slice('qRcmd,'.length));
      default: return '';
    }
  }

  private vPacket(text: string): Promise<string | undefined> | string | undefined {
    if (text === 'vCont?') return 'vCont;c;C;s;S';
    if (text.startsWith('vCont;') && this.harts > 1) return this.vContHarts(text.slice(6));
    if (text.startsWith('vCont;')) {
      // The first action that applies to our thread (no thread id, -1, or 1) decides.
      for (const action of text.slice(6).split(';')) {
        const [verb, tid] = action.split(':', 2);
        if (tid !== undefined && !/^(0*1|-1|p-?[0-9a-f]+\.(0*1|-1))$/i.test(tid)) continue;
        switch (verb[0]) {
          case 'c': case 'C': return this.move(this.motion0('continue'));
          case 's': case 'S': return this.move(this.motion0('step'));
          case 't': return 'OK';
          default: return errorText(`vCont action "${verb}" is not supported`);
        }
      }
      return errorText('no vCont action for thread 1');
    }
    if (text.startsWith('vKill')) { this.closing = true; return 'OK'; }
    return '';
  }

  /**
   * vCont with several harts: a step action for one thread steps that hart
   * (with `c` for the others, their breakpoints and watchpoints can stop the
   * step; without, they still run their turns, unarmed: the schedule cannot
   * be changed). A step for every thread steps the current one; otherwise a
   * continue action continues them all.
   */
  private vContHarts(actions: string): Promise<string | undefined> | string {
    let step: number | undefined;
    let stepAll = false;
    let othersRun = false;
    let resume = false;
    for (const action of actions.split(';')) {
      const [verb, tid] = action.split(':', 2);
      const sel = tid === undefined ? 'all' : parseThreadId(tid, this.harts);
      if (sel === undefined) return errorText(`no thread ${tid}`);
      switch (verb[0]) {
        case 'c': case 'C':
          resume = true;
          if (typeof sel === 'string' || sel.hart !== step) othersRun = true;
          break;
        case 's': case 'S':
          resume = true;
          if (typeof sel !== 'string') step ??= sel.hart;
          else stepAll = true;
          break;
        case 't':
          break;
        default:
          return errorText(`vCont action "${verb}" is not supported`);
      }
    }
    if (step === undefined && stepAll) step = this.currentHart;
    if (step !== undefined) return this.move({ kind: 'step', hart: step, othersRun });
    if (resume) return this.move({ kind: 'continue', hart: this.currentHart, othersRun: true });
    return 'OK';
  }

  // ---- threads ----

  private get harts(): number { return this.timeline.machine.hartCount; }

  private threadId(hart: number): string { return formatThreadId(hart, this.multiprocess); }

  /** Hg / Hc. */
  private setThread(text: string): string {
    const op = text[1];
    if (op !== 'g' && op !== 'c') return 'OK';
    const sel = parseThreadId(text.slice(2), this.harts);
    if (sel === undefined) return this.harts > 1 ? 'E01' : 'OK';
    if (op === 'g') this.gHart = typeof sel === 'string' ? this.currentHart : sel.hart;
    else this.cHart = typeof sel === 'string' ? undefined : sel.hart;
    return 'OK';
  }

  private threadAlive(id: string): string {
    const sel = parseThreadId(id, this.harts);
    if (sel === undefined) return 'E01';
    if (typeof sel !== 'string') this.currentHart = sel.hart; // GDB checks the thread `thread N` switches to
    return 'OK';
  }

  private threadExtraInfo(id: string): string {
    const sel: ThreadSelector | undefined = parseThreadId(id, this.harts);
    const hart = sel === undefined || typeof sel === 'string' ? this.currentHart : sel.hart;
    return textToHex(`hart ${hart}`);
  }

  /** The hart that c, s, bs and bc (the packets without a thread) act on: Hc's, or the current thread. */
  private resumeHart(): number { return this.cHart ?? this.currentHart; }

  private motion0(kind: MotionKind): Motion {
    return { kind, hart: kind === 'step' || kind === 'reverse-step' ? this.resumeHart() : this.currentHart, othersRun: true };
  }

  // ---- registers and memory ----

  /** x0..x31, pc, f0..f31 (regnums 0-64; GDB reads the others with p). */
  private readAllRegisters(): string {
    const m = this.timeline.machine;
    const h = this.gHart;
    const regs = m.registers(h);
    let out = '';
    for (let i = 0; i < 32; i++) out += registerHex(regs[i]);
    out += registerHex(m.pcOf(h));
    for (const f of m.fpRegisters(h)) out += registerHex(f);
    return out;
  }

  private readRegister(arg: string): string {
    const n = parseHexNumber(arg, 8);
    const ref = n === undefined ? undefined : registerAt(Number(n));
    if (!ref) return errorText(`no register ${arg}`);
    const m = this.timeline.machine;
    const h = this.gHart;
    switch (ref.kind) {
      case 'x': return registerHex(m.registers(h)[ref.index]);
      case 'pc': return registerHex(m.pcOf(h));
      case 'f': return registerHex(m.fpRegisters(h)[ref.index]);
      case 'priv': return registerHex(BigInt(m.privilegeOf(h)));
      case 'csr': {
        // Unavailable (fcsr while mstatus.FS is Off): GDB shows <unavailable>.
        const v = m.readCsr(ref.csr, h);
        const bytes = ref.bits / 8;
        return v === undefined ? 'xx'.repeat(bytes) : registerHex(v, bytes);
      }
    }
  }

  private readMemory(arg: string): string {
    const parsed = parseAddressLength(arg);
    if (!parsed) return 'E01';
    const { address } = parsed;
    let length = parsed.length > BigInt(MAX_READ) ? MAX_READ : Number(parsed.length);
    if (address + BigInt(length) > 1n << 64n) length = Number((1n << 64n) - address);
    if (length === 0) return '';
    // Under the selected hart's translation (its privilege and satp).
    return this.timeline.machine.withHart(this.gHart, () => this.readMemoryHere(address, length));
  }

  private readMemoryHere(address: bigint, length: number): string {
    const m = this.timeline.machine;
    let bytes = m.readMemory(address, length);
    if (!bytes) {
      // The longest readable prefix (RAM and ROM are contiguous ranges).
      let lo = 0, hi = length;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (m.readMemory(address, mid)) lo = mid; else hi = mid - 1;
      }
      if (lo === 0) return 'E14';
      bytes = m.readMemory(address, lo) as Uint8Array;
    }
    return toHex(bytes);
  }

  private writeMemory(arg: string, binary: boolean, raw: Uint8Array): string {
    const colon = arg.indexOf(':');
    const parsed = parseAddressLength(colon < 0 ? arg : arg.slice(0, colon));
    if (!parsed || colon < 0) return 'E01';
    if (binary) {
      const payload = unescapeBinary(raw.subarray(raw.indexOf(0x3a) + 1));
      if (!payload || BigInt(payload.length) !== parsed.length) return 'E01';
    } else if (!fromHex(arg.slice(colon + 1)) || BigInt(arg.length - colon - 1) !== parsed.length * 2n) {
      return 'E01';
    }
    if (parsed.length === 0n) return 'OK'; // GDB's probe for X support
    return this.refuseWrite('memory');
  }

  private refuseWrite(what: 'memory' | 'registers'): string {
    const why = this.timeline.mode === 'replay'
      ? 'this is a replayed recording, and the execution must stay the one recorded'
      : 'the execution is being recorded, and a change that is not in its log could not be replayed';
    this.host.log(`refused a write to ${what}: ${why}`);
    return errorText(`writes to ${what} are refused: ${why} (see "monitor help")`);
  }

  // ---- target description ----

  private xfer(text: string): string {
    const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (!m) return text.startsWith('qXfer:features:read:') ? 'E00' : '';
    if (m[1] !== 'target.xml') return 'E00';
    const offset = parseHexNumber(m[2]);
    const length = parseHexNumber(m[3]);
    if (offset === undefined || length === undefined) return 'E00';
    const xml = targetXml();
    if (offset >= BigInt(xml.length)) return 'l';
    const len = length > BigInt(PACKET_SIZE - 16) ? PACKET_SIZE - 16 : Number(length);
    const chunk = xml.slice(Number(offset), Number(offset) + len);
    const last = Number(offset) + chunk.length >= xml.length;
    return (last ? 'l' : 'm') + latin1String(escapeBinary(latin1(chunk)));
  }

  // ---- breakpoints and watchpoints ----

  private trapPacket(text: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,8})(;.*)?$/.exec(text);
    if (!m) return /^[Zz][0-4]/.test(text) ? 'E01' : '';
    const insert = m[1] === 'Z';
    const type = Number(m[2]) as ZType;
    const address = BigInt('0x' + m[3]);
    const size = Number(BigInt('0x' + m[4]));
    const key = `${type}:${address}:${size}`;
    const t = this.timeline;
    if (!insert) {
      const existing = this.traps.get(key);
      if (existing) { t.deleteTrap(existing.id); this.traps.delete(key); }
      return 'OK';
    }
    if (this.traps.has(key)) return 'OK';
    try {
      if (type === ZType.Software || type === ZType.Hardware) {
        const breakpoints = [...this.traps.values()].filter((x) => x.type === ZType.Software || x.type === ZType.Hardware).length;
        if (breakpoints >= MAX_BREAKPOINTS) { this.host.log(`cannot insert ${text}: at most ${MAX_BREAKPOINTS} breakpoints`); return 'E01'; }
        const bp = t.addBreakpoint(address);
        this.traps.set(key, { id: bp.id, type, address, length: size });
      } else {
        if (size < 1) return 'E01';
        const access = type === ZType.Write ? 'write' : type === ZType.Read ? 'read' : 'access';
        const wp = t.addWatchpoint(address, size, access);
        this.traps.set(key, { id: wp.id, type, address, length: size });
      }
    } catch (e) {
      if (e instanceof TimelineError) { this.host.log(`cannot insert ${text}: ${e.message}`); return 'E01'; }
      throw e;
    }
    return 'OK';
  }

  private trapById(id: number | undefined): InsertedTrap | undefined {
    if (id === undefined) return undefined;
    for (const t of this.traps.values()) if (t.id === id) return t;
    return undefined;
  }

  // ---- execution ----

  private resume(text: string, kind: 'continue' | 'step'): Promise<string | undefined> | string {
    // c[addr], s[addr], C sig[;addr], S sig[;addr]: resuming elsewhere would change the pc.
    const addr = text[0] === 'c' || text[0] === 's' ? text.slice(1) : text.split(';', 2)[1] ?? '';
    if (addr !== '') {
      const a = parseHexNumber(addr);
      if (a === undefined) return 'E01';
      const motion = this.motion0(kind);
      if (a !== this.timeline.machine.pcOf(motion.hart)) return this.refuseWrite('registers');
    }
    return this.move(this.motion0(kind));
  }

  private async move(motion: Motion): Promise<string | undefined> {
    const t = this.timeline;
    const { kind } = motion;
    const start = t.icount;
    const endedBefore = t.ended !== undefined;
    if (this.interruptQueued) {
      // GDB asked to stop before the motion started: stop where we are.
      this.interruptQueued = false;
      return this.stop(SIGINT, '', this.currentHart);
    }
    const controller = new AbortController();
    this.motion = controller;
    let r: MotionResult;
    try {
      switch (kind) {
        case 'continue': r = await t.continue({ signal: controller.signal }); break;
        case 'step':
          if (this.harts > 1) {
            r = await this.stepHart(motion.hart, motion.othersRun);
          } else if (this.watching() && (t.mode === 'record' || start < t.length)) {
            // One instruction with the watchpoints armed, so that GDB hears of the access.
            r = await this.armedRun(start, start + 1n);
            if (r.reason === 'replay-break' || r.reason === 'breakpoint') r = { ...r, reason: 'step' };
          } else {
            r = t.stepi(1n);
          }
          break;
        case 'reverse-step':
          r = this.harts > 1 ? await this.reverseStepHart(motion.hart) : (await this.accessJustBefore()) ?? t.reverseStepi(1n);
          break;
        case 'reverse-continue':
          r = (await this.accessJustBefore()) ?? await t.reverseContinue({ signal: controller.signal });
          break;
      }
    } catch (e) {
      // GDB waits for a stop reply whatever happened: say why on its console and stop here.
      const message = e instanceof ReplayDivergence || e instanceof TimelineError ? e.message : `internal error: ${(e as Error).message}`;
      this.host.log(e instanceof Error && !(e instanceof ReplayDivergence) ? (e.stack ?? message) : message);
      this.console(`hindsight: ${message}\n`);
      return this.stop(SIGABRT, '', kind === 'step' || kind === 'reverse-step' ? motion.hart : t.hartAt(t.icount));
    } finally {
      this.motion = undefined;
    }
    if (this.closed) return undefined;
    return this.stopFor(r, motion, start, endedBefore);
  }

  /**
   * stepi on one hart of several: forward until it has retired one
   * instruction, the others running their turns meanwhile. With traps set,
   * that stretch is run again with them armed: a watchpoint any hart
   * triggers stops the step (GDB hears of the access), and so does another
   * hart's breakpoint when GDB resumed the others too.
   */
  private async stepHart(hart: number, othersRun: boolean): Promise<MotionResult> {
    const t = this.timeline;
    const start = t.icount;
    const r = t.stepiOnHart(hart);
    const watching = this.watching();
    const breaking = othersRun && [...this.traps.values()].some((x) => x.type < ZType.Write);
    if (r.reason !== 'step' || (!watching && !breaking)) return r;
    const end = t.icount;
    const hit = await this.firstHit(start, end, hart, breaking);
    if (hit) return hit;
    if (t.icount !== end) t.seek(end);
    return r;
  }

  /**
   * The first breakpoint (of a hart other than `hart`, if `breakpoints`) or
   * watchpoint hit between two icounts, found by running the stretch with the
   * traps armed; the position is then the hit's.
   */
  private async firstHit(from: bigint, to: bigint, hart: number, breakpoints: boolean): Promise<MotionResult | undefined> {
    const t = this.timeline;
    let at = from;
    while (at < to) {
      const r = await this.armedRun(at, to);
      if (r.reason === 'watchpoint') return r;
      if (r.reason !== 'breakpoint' || t.icount >= to || t.icount <= at) return undefined;
      if (breakpoints && r.hart !== hart) return r;
      at = t.icount; // the stepping hart's own instruction, or a breakpoint GDB did not resume: go on past it
    }
    return undefined;
  }

  /**
   * reverse-stepi on one hart of several: back to its previous instruction.
   * With watchpoints set, the instructions un-executed on the way (every
   * hart's) are checked: the latest access is GDB's first stop going
   * backwards (the position is then just after it, as for one hart).
   */
  private async reverseStepHart(hart: number): Promise<MotionResult> {
    const t = this.timeline;
    const now = t.icount;
    const r = t.reverseStepiOnHart(hart);
    if (r.reason !== 'step' || !this.watching()) return r;
    const back = t.icount;
    let last: MotionResult | undefined;
    let at = back;
    while (at < now) {
      const hit = await this.armedRun(at, now);
      if (t.icount <= at || (hit.reason !== 'watchpoint' && hit.reason !== 'breakpoint')) break;
      if (hit.reason === 'watchpoint') last = hit;
      at = t.icount;
    }
    if (last) {
      if (t.icount !== last.icount) t.seek(last.icount);
      return last;
    }
    if (t.icount !== back) t.seek(back);
    return r;
  }

  /** Whether this client has a watchpoint set. */
  private watching(): boolean {
    return [...this.traps.values()].some((x) => x.type >= ZType.Write);
  }

  /**
   * Runs from `from` to `to` with breakpoints and watchpoints armed: a
   * Timeline continue bounded by a temporary replay-break (the client's own
   * replay-break is put back).
   */
  private async armedRun(from: bigint, to: bigint): Promise<MotionResult> {
    const t = this.timeline;
    const saved = t.info().replayBreak;
    if (t.icount !== from) t.seek(from);
    t.replayBreak(to);
    let r: MotionResult;
    try {
      r = await t.continue();
    } finally {
      if (saved === undefined) t.deleteReplayBreak(); else t.replayBreak(saved);
    }
    return r;
  }

  /**
   * Going backwards, the first instruction GDB un-executes is the one that
   * led to the current position; a watchpoint it triggers is the first stop
   * (at the current position: GDB then steps back over the access itself).
   * The Timeline's reverse-continue looks strictly before the current
   * position (its stops are after the access, GDB's before it), so after a
   * forward watchpoint stop it would miss the access that caused it, and
   * its reverse-stepi does not look at watchpoints. Check that instruction
   * first, with the watchpoints armed.
   */
  private async accessJustBefore(): Promise<MotionResult | undefined> {
    const t = this.timeline;
    const now = t.icount;
    if (now === 0n || !this.watching()) return undefined;
    const r = await this.armedRun(now - 1n, now);
    if (r.reason === 'watchpoint' && r.icount === now) return r;
    if (t.icount !== now) t.seek(now);
    return undefined;
  }

  private stopFor(r: MotionResult, motion: Motion, start: bigint, endedBefore: boolean): string {
    const t = this.timeline;
    const { kind } = motion;
    const stepping = kind === 'step' || kind === 'reverse-step';
    // The thread a stop names: the one that hit a trap; after a step, the one that stepped; otherwise the next to run.
    let hart = stepping ? motion.hart : r.hart;
    switch (r.reason) {
      case 'step':
      case 'limit':
      case 'replay-break':
        return this.stop(SIGTRAP, '', r.reason === 'replay-break' ? r.hart : hart);
      case 'breakpoint': {
        // The Z type GDB used at this address decides how the stop is described.
        const trap = this.trapById(r.breakpointId);
        const hardware = trap ? trap.type === ZType.Hardware : [...this.traps.values()].some((x) => x.type === ZType.Hardware && x.address === r.pc);
        hart = r.hart;
        if (hardware && this.gdbHwbreak) return this.stop(SIGTRAP, 'hwbreak:;', hart);
        if (!hardware && this.gdbSwbreak) return this.stop(SIGTRAP, 'swbreak:;', hart);
        return this.stop(SIGTRAP, '', hart);
      }
      case 'watchpoint': {
        const trap = this.trapById(r.watchpointId);
        // GDB on RISC-V treats watchpoints as non-steppable: it expects the
        // target to stop before the access and steps over it itself, then
        // compares values. The Timeline stops after the access, so going
        // forwards we move back one instruction. Backwards, its position
        // (after the access) is right: GDB's own step over it goes back to
        // the accessing instruction, with the old value in memory.
        if ((kind === 'continue' || kind === 'step') && r.icount > start) t.seek(r.icount - 1n);
        // The hart that made the access: it retired the instruction just before the Timeline's stop.
        hart = t.hartAt(r.icount > 0n ? r.icount - 1n : 0n);
        const kindName = !trap || trap.type === ZType.Write ? 'watch' : trap.type === ZType.Read ? 'rwatch' : 'awatch';
        let address = r.watch?.address ?? trap?.address ?? 0n;
        if (trap && address < trap.address) address = trap.address; // GDB matches the address against its ranges
        return this.stop(SIGTRAP, `${kindName}:${address.toString(16)};`, hart);
      }
      case 'start':
        // A step back that arrived at icount 0 did its step; only a motion from 0, or a reverse-continue that found nothing, ran out of history.
        if (kind === 'reverse-step' && start > 0n && (this.harts === 1 || t.icount < start)) return this.stop(SIGTRAP, '', hart);
        return this.stop(SIGTRAP, 'replaylog:begin;', hart);
      case 'end':
        return this.stop(SIGTRAP, 'replaylog:end;', hart);
      case 'exit': {
        const code = r.exitCode ?? 0;
        if (t.mode === 'record' && !endedBefore) {
          this.lastStop = `W${(code & 0xff).toString(16).padStart(2, '0')}`;
          this.host.log(`the program exited with status ${code} at icount ${r.icount}; the next connection can travel through the recorded execution`);
          return this.lastStop;
        }
        this.console(`hindsight: the program exited here with status ${code}: end of the recorded execution\n`);
        return this.stop(SIGTRAP, 'replaylog:end;', hart);
      }
      case 'cancelled':
        return this.stop(SIGINT, '', hart);
      case 'input':
        this.console('hindsight: the program waits for console input that is not available\n');
        return this.stop(SIGTRAP, '', hart);
      case 'idle':
      case 'trap-loop':
      case 'fault':
        this.console(`hindsight: ${r.message ?? r.reason}: the program cannot go on\n`);
        return this.stop(SIGTRAP, 'replaylog:end;', hart);
    }
  }

  /**
   * A T stop reply with the thread and the registers GDB needs first (pc, sp,
   * fp, ra), of `hart`. GDB takes the thread of a stop reply as the one
   * selected for register reads (as if it had sent Hg): so does the server.
   */
  private stop(signal: number, reason: string, hart: number): string {
    const m = this.timeline.machine;
    const regs = m.registers(hart);
    const reply = `T${signal.toString(16).padStart(2, '0')}${reason}thread:${this.threadId(hart)};` +
      `${PC_REGNUM.toString(16)}:${registerHex(m.pcOf(hart))};02:${registerHex(regs[2])};08:${registerHex(regs[8])};01:${registerHex(regs[1])};`;
    this.lastStop = reply;
    this.currentHart = hart;
    this.gHart = hart;
    return reply;
  }

  /** Text for GDB's console, while a motion or a monitor command is under way. */
  private console(text: string): void {
    if (this.closed) return;
    const hex = textToHex(text);
    const chunk = PACKET_SIZE - 64;
    for (let i = 0; i < hex.length; i += chunk) this.sendPacket('O' + hex.slice(i, i + chunk));
  }

  // ---- monitor ----

  private rcmd(hex: string): string {
    const bytes = fromHex(hex);
    if (!bytes) return 'E01';
    const command = new TextDecoder().decode(bytes);
    const result = runMonitorCommand(this.timeline, command, this.options.file);
    if (result.replayBreak !== undefined) this.replayBreakSet = result.replayBreak;
    if (result.output) this.console(result.output.endsWith('\n') ? result.output : result.output + '\n');
    return 'OK';
  }
}

function isResume(data: Uint8Array): boolean {
  const c = String.fromCharCode(data[0] ?? 0);
  if (c === 'c' || c === 'C' || c === 's' || c === 'S') return true;
  const s = latin1String(data.subarray(0, 6));
  return s === 'bc' || s === 'bs' || (s.startsWith('vCont;'));
}

function parseAddressLength(s: string): { address: bigint; length: bigint } | undefined {
  const m = /^([0-9a-fA-F]{1,16}),([0-9a-fA-F]{1,16})$/.exec(s);
  if (!m) return undefined;
  return { address: BigInt('0x' + m[1]), length: BigInt('0x' + m[2]) };
}

/** An `E.text` reply: GDB shows the text for the packets where it reports remote failures. */
function errorText(message: string): string {
  return 'E.' + message.replace(/[^\x20-\x7e]|[$#}*]/g, ' ');
}

function describePacket(data: Uint8Array): string {
  const s = latin1String(data.subarray(0, 40)).replace(/[^\x20-\x7e]/g, '.');
  return data.length > 40 ? s + '...' : s;
}
