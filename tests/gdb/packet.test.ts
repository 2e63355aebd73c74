// The packet layer (framing, checksums, escapes, run-length encoding) and the
// session layer driven in-process, without a socket or GDB.
import { describe, it, expect, beforeAll } from 'vitest';
import {
  PacketReader, encodePacket, escapeBinary, unescapeBinary, expandRunLength, checksum, fromHex, parseHexNumber,
  registerHex, latin1, latin1String, type ReaderEvent,
} from '../../workers/gdb/packet';
import { GdbSession } from '../../workers/gdb/session';
import { targetXml, registerAt } from '../../workers/gdb/target-description';
import { Timeline } from '../../workers/replay/timeline';
import { parseRecording } from '../../workers/formats/recording';
import { recordExample, wasm } from '../replay/support';

const text = (s: string) => latin1(s);
const packets = (events: ReaderEvent[]) => events.flatMap((e) => (e.kind === 'packet' ? [latin1String(e.data)] : []));

describe('packet framing', () => {
  it('encodes with the modulo-256 checksum', () => {
    expect(latin1String(encodePacket('OK'))).toBe('$OK#9a');
    expect(latin1String(encodePacket(''))).toBe('$#00');
    expect(checksum(text('qSupported'))).toBe(0x37);
  });

  it('decodes packets, acks, nacks and the interrupt byte, across chunk boundaries', () => {
    const r = new PacketReader();
    const all = latin1String(encodePacket('m80000000,4')) + '+-\x03' + latin1String(encodePacket('g'));
    const events: ReaderEvent[] = [];
    for (const ch of all) events.push(...r.push(text(ch)));
    expect(events.map((e) => e.kind)).toEqual(['packet', 'ack', 'nack', 'interrupt', 'packet']);
    expect(packets(events)).toEqual(['m80000000,4', 'g']);
    expect(r.partial).toBe(false);
  });

  it('reports bad checksums and non-hex checksums', () => {
    const r = new PacketReader();
    expect(r.push(text('$g#00$g#zz$g#67')).map((e) => e.kind)).toEqual(['bad-checksum', 'bad-checksum', 'packet']);
  });

  it('a new $ abandons an unfinished packet; bytes outside packets are ignored', () => {
    const r = new PacketReader();
    expect(packets(r.push(text('hello$mgarbage$g#67 world')))).toEqual(['g']);
  });

  it('expands run-length encoding and rejects broken encodings', () => {
    // "0* " is 0 and three more zeros.
    expect(latin1String(expandRunLength(text('m80* 000,4')) as Uint8Array)).toBe('m80000000,4');
    expect(expandRunLength(text('*a'))).toMatch(/nothing to repeat/);
    expect(expandRunLength(text('a*'))).toMatch(/without a count/);
    expect(expandRunLength(text('a*\x01'))).toMatch(/out of range/);
    expect(expandRunLength(text('a*~a*~a*~'), 100)).toMatch(/past the packet size/);
    const r = new PacketReader();
    const body = 'm80* 000,4';
    const framed = `$${body}#${checksum(text(body)).toString(16).padStart(2, '0')}`;
    expect(packets(r.push(text(framed)))).toEqual(['m80000000,4']);
    expect(r.push(encodePacket('x*')).map((e) => e.kind)).toEqual(['malformed']);
  });

  it('escapes and unescapes binary data', () => {
    const data = Uint8Array.from([0x24, 0x23, 0x7d, 0x2a, 0x41, 0x00, 0xff]);
    const escaped = escapeBinary(data);
    expect([...escaped]).toEqual([0x7d, 0x04, 0x7d, 0x03, 0x7d, 0x5d, 0x7d, 0x0a, 0x41, 0x00, 0xff]);
    expect([...(unescapeBinary(escaped) as Uint8Array)]).toEqual([...data]);
    expect(unescapeBinary(Uint8Array.from([0x41, 0x7d]))).toBeUndefined();
  });

  it('drops oversized packets with bounded memory, and gives up on a flood', () => {
    const r = new PacketReader(64, 1000);
    const events = r.push(text('$' + 'a'.repeat(500) + '#00'));
    expect(events.map((e) => e.kind)).toEqual(['oversized']);
    expect(packets(r.push(encodePacket('g')))).toEqual(['g']);
    expect(r.push(new Uint8Array(2000).fill(0x61)).map((e) => e.kind)).toEqual(['flood']);
    expect(r.push(encodePacket('g'))).toEqual([]);
  });

  it('hex helpers are strict', () => {
    expect(fromHex('0a0B')).toEqual(Uint8Array.from([10, 11]));
    expect(fromHex('abc')).toBeUndefined();
    expect(fromHex('zz')).toBeUndefined();
    expect(parseHexNumber('ffffffffffffffff')).toBe(0xffffffffffffffffn);
    expect(parseHexNumber('1ffffffffffffffff')).toBeUndefined();
    expect(parseHexNumber('')).toBeUndefined();
    expect(registerHex(0x8000_0000n)).toBe('0000008000000000');
    expect(registerHex(-1n)).toBe('ffffffffffffffff');
  });
});

describe('target description', () => {
  it('describes RV64: x0..x31 and pc, f0..f31 at 33, CSRs at 65 + number, priv; bare metal', () => {
    const xml = targetXml();
    expect(xml).toContain('<architecture>riscv:rv64</architecture>');
    expect(xml).toContain('<osabi>none</osabi>');
    expect(xml).toContain('<feature name="org.gnu.gdb.riscv.cpu">');
    expect(xml).toContain('<reg name="zero" bitsize="64" type="int" regnum="0"/>');
    expect(xml).toContain('<reg name="fp" bitsize="64" type="data_ptr" regnum="8"/>');
    expect(xml).toContain('<reg name="pc" bitsize="64" type="code_ptr" regnum="32"/>');
    expect(xml).toContain('<feature name="org.gnu.gdb.riscv.csr">');
    expect(xml).toContain(`<reg name="mstatus" bitsize="64" type="int" regnum="${65 + 0x300}" group="csr"/>`);
    expect(registerAt(65 + 0x341)).toEqual({ kind: 'csr', csr: 0x341, bits: 64 });
    expect(registerAt(65 + 0x7b0)).toBeUndefined();
    // The FPU as GDB's 64bit-fpu.xml has it: f0..f31 at 33..64 (a float/double union), fflags, frm and fcsr at 66..68.
    expect(xml).toContain('<feature name="org.gnu.gdb.riscv.fpu">');
    expect(xml).toMatch(/<union id="riscv_double">\s*<field name="float" type="ieee_single"\/>\s*<field name="double" type="ieee_double"\/>\s*<\/union>/);
    expect(xml).toContain('<reg name="ft0" bitsize="64" type="riscv_double" regnum="33"/>');
    expect(xml).toContain('<reg name="fa0" bitsize="64" type="riscv_double" regnum="43"/>');
    expect(xml).toContain('<reg name="ft11" bitsize="64" type="riscv_double" regnum="64"/>');
    const fpu = xml.slice(xml.indexOf('org.gnu.gdb.riscv.fpu'), xml.indexOf('org.gnu.gdb.riscv.csr'));
    expect(fpu).toContain('<reg name="fflags" bitsize="32" type="int" regnum="66"/>');
    expect(fpu).toContain('<reg name="frm" bitsize="32" type="int" regnum="67"/>');
    expect(fpu).toContain('<reg name="fcsr" bitsize="32" type="int" regnum="68"/>');
    expect(xml.match(/name="fcsr"/g)).toHaveLength(1);
    expect(registerAt(33)).toEqual({ kind: 'f', index: 0 });
    expect(registerAt(40)).toEqual({ kind: 'f', index: 7 });
    expect(registerAt(64)).toEqual({ kind: 'f', index: 31 });
    expect(registerAt(65)).toBeUndefined();
    expect(registerAt(68)).toEqual({ kind: 'csr', csr: 3, bits: 32 });
  });
});

describe('session, in-process', () => {
  let timeline: Timeline;
  let length: bigint;

  beforeAll(async () => {
    const rec = await recordExample('corruption');
    timeline = await Timeline.replay(wasm, parseRecording(rec.file));
    length = timeline.length;
  });

  /** A session with a fake transport: send packets, read replies. */
  function connect() {
    const sent: string[] = [];
    const logs: string[] = [];
    let closed = false;
    const reader = new PacketReader(1 << 20);
    const replies: string[] = [];
    const session = new GdbSession(timeline, {
      send: (b) => { sent.push(latin1String(b)); for (const e of reader.push(b)) if (e.kind === 'packet') replies.push(latin1String(e.data)); },
      close: () => { closed = true; },
      log: (m) => logs.push(m),
    }, { file: 'corruption.hsr' });
    const settle = async () => { for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)); };
    return {
      session, sent, logs, replies,
      closed: () => closed,
      async ask(data: string): Promise<string> {
        const before = replies.length;
        session.receive(encodePacket(data));
        await settle();
        const mine = replies.slice(before).filter((p) => !(p.startsWith('O') && p !== 'OK'));
        return mine[mine.length - 1];
      },
      settle,
    };
  }

  it('negotiates features, acks until no-ack mode, serves the target description in chunks', async () => {
    const c = connect();
    const features = await c.ask('qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+');
    expect(features.split(';')).toEqual(expect.arrayContaining(['PacketSize=4000', 'qXfer:features:read+', 'QStartNoAckMode+', 'ReverseStep+', 'ReverseContinue+', 'swbreak+', 'hwbreak+', 'vContSupported+']));
    expect(c.sent[0]).toBe('+');
    expect(await c.ask('QStartNoAckMode')).toBe('OK');
    const acks = c.sent.filter((s) => s === '+').length;
    let xml = '';
    for (let off = 0; ; off += 0x100) {
      const part = await c.ask(`qXfer:features:read:target.xml:${off.toString(16)},100`);
      xml += part.slice(1);
      if (part[0] === 'l') break;
      expect(part[0]).toBe('m');
    }
    expect(xml).toBe(targetXml());
    expect(c.sent.filter((s) => s === '+').length).toBe(acks);
    expect(await c.ask('qXfer:features:read:other.xml:0,100')).toBe('E00');
    expect(await c.ask('qXfer:features:read:target.xml:zz,100')).toBe('E00');
    expect(await c.ask('vMustReplyEmpty')).toBe('');
  });

  it('registers, memory (partial reads at the end of RAM), threads', async () => {
    const c = connect();
    timeline.seek(1000n);
    const g = await c.ask('g');
    expect(g).toHaveLength(65 * 16);
    expect(g.slice(32 * 16, 33 * 16)).toBe(registerHex(timeline.pc));
    expect(g.slice(33 * 16)).toBe(timeline.machine.fpRegisters().map((f) => registerHex(f)).join(''));
    expect(await c.ask('p2b')).toBe(registerHex(timeline.machine.fpRegisters()[10]));
    // fcsr, 32 bits wide; unavailable while mstatus.FS is Off.
    const fcsr = timeline.machine.readCsr(3);
    expect(await c.ask('p44')).toBe(fcsr === undefined ? 'xxxxxxxx' : registerHex(fcsr, 4));
    expect(await c.ask('p20')).toBe(registerHex(timeline.pc));
    expect(await c.ask('p2')).toBe(registerHex(timeline.machine.registers()[2]));
    expect(await c.ask(`p${(65 + 0x301).toString(16)}`)).toBe(registerHex(timeline.machine.readCsr(0x301) as bigint));
    expect(await c.ask('p1041')).toBe(registerHex(3n)); // priv
    expect(await c.ask('p41')).toMatch(/^E\./);
    expect(await c.ask('pzz')).toMatch(/^E\./);
    expect(await c.ask('m80000000,4')).toBe([...(timeline.machine.readMemory(0x8000_0000n, 4) as Uint8Array)].map((b) => b.toString(16).padStart(2, '0')).join(''));
    const end = 0x8000_0000n + BigInt(timeline.machine.ramBytes);
    expect(await c.ask(`m${(end - 2n).toString(16)},8`)).toHaveLength(4);
    expect(await c.ask(`m${end.toString(16)},8`)).toBe('E14');
    expect(await c.ask('m0,4')).toBe('E14');
    expect((await c.ask('m80000000,ffffffff')).length).toBeLessThanOrEqual(0x4000);
    expect(await c.ask('mffffffffffffffff,10')).toBe('E14');
    expect(await c.ask('m80000000')).toBe('E01');
    expect(await c.ask('m,')).toBe('E01');
    expect(await c.ask('qfThreadInfo')).toBe('m01');
    expect(await c.ask('qsThreadInfo')).toBe('l');
    expect(await c.ask('qC')).toBe('QC01');
    expect(await c.ask('qAttached')).toBe('1');
    expect(await c.ask('Hg0')).toBe('OK');
    expect(await c.ask('T01')).toBe('OK');
    expect(await c.ask('T02')).toBe('E01');
    expect(await c.ask('vCont?')).toBe('vCont;c;C;s;S');
  });

  it('refuses writes to memory and registers, accepts GDB\'s zero-length X probe', async () => {
    const c = connect();
    expect(await c.ask('M80200928,4:01000000')).toMatch(/^E\.writes to memory are refused/);
    expect(await c.ask('X80200928,0:')).toBe('OK');
    expect(await c.ask('X80200928,1:}')).toBe('E01');
    expect(await c.ask('M80200928,4:0100')).toBe('E01');
    expect(await c.ask('P1=0500000000000000')).toMatch(/^E\.writes to registers are refused/);
    expect(await c.ask('G' + '00'.repeat(33 * 8))).toMatch(/^E\.writes to registers are refused/);
    expect(await c.ask('c80000000')).toMatch(/^E\.writes to registers/);
  });

  it('steps both ways, reports the ends of the recording, inserts and removes traps', async () => {
    const c = connect();
    await c.ask('qSupported:swbreak+;hwbreak+');
    timeline.seek(0n);
    expect(await c.ask('bs')).toMatch(/^T05replaylog:begin;thread:01;20:0010000000000000;/);
    expect(await c.ask('vCont;s:1;c')).toMatch(/^T05thread:01;20:0410000000000000;/);
    expect(await c.ask('bs')).toMatch(/^T05thread:01;20:0010000000000000;/);
    expect(await c.ask('?')).toMatch(/^T05thread:01;20:0010000000000000;/);
    expect(await c.ask('Z1,1008,4')).toBe('OK');
    expect(await c.ask('Z1,1008,4')).toBe('OK');
    expect(await c.ask('c')).toMatch(/^T05hwbreak:;thread:01;20:0810000000000000;/);
    expect(await c.ask('z1,1008,4')).toBe('OK');
    expect(await c.ask('z1,1008,4')).toBe('OK');
    expect(await c.ask('Z0,80000000,4')).toBe('OK');
    expect(await c.ask('vCont;c')).toMatch(/^T05swbreak:;thread:01;20:0000008000000000;/);
    expect(await c.ask('z0,80000000,4')).toBe('OK');
    const exited = await c.ask('c');
    expect(exited).toMatch(/^T05replaylog:end;/);
    expect(c.replies.some((p) => p.startsWith('O') && Buffer.from(p.slice(1), 'hex').toString().includes('exited here with status 1'))).toBe(true);
    expect(timeline.icount).toBe(length);
    expect(await c.ask('s')).toMatch(/^T05replaylog:end;/);
    expect(await c.ask('bc')).toMatch(/^T05replaylog:begin;/);
    expect(timeline.icount).toBe(0n);
    expect(await c.ask('Z2,80200928,4')).toBe('OK');
    expect(await c.ask('Z9,0,4')).toBe('');
    expect(await c.ask('Z2,zz,4')).toBe('E01');
    expect(await c.ask('Z2,80200928,0')).toBe('E01');
    // Watchpoints until the core's slots run out: then an error reply, which GDB reports as "Could not insert".
    let inserted = 1;
    let last = '';
    while (inserted < 1000 && (last = await c.ask(`Z4,${(0x80200000 + 8 * inserted).toString(16)},8`)) === 'OK') inserted++;
    expect(last).toBe('E01');
    expect(inserted).toBe(timeline.machine.core.layout.watchpointSlots);
    expect(c.logs.join('\n')).toContain('cannot insert Z4');
    c.session.disconnect();
    await c.session.finished;
    expect(timeline.listTraps()).toEqual([]);
  });

  it('refuses breakpoints past the core\'s limit instead of failing the next continue', async () => {
    const c = connect();
    for (let i = 0; i < 512; i++) expect(await c.ask(`Z0,${(0x80100000 + 4 * i).toString(16)},4`)).toBe('OK');
    expect(await c.ask('Z0,80200000,4')).toBe('E01');
    timeline.seek(0n);
    expect(await c.ask('c')).toMatch(/^T05replaylog:end;/);
    c.session.disconnect();
    await c.session.finished;
    expect(timeline.listTraps()).toEqual([]);
  });

  it('an interrupt that arrives with the continue packet stops it at once', async () => {
    const c = connect();
    timeline.seek(0n);
    c.session.receive(Uint8Array.from([...encodePacket('c'), 0x03]));
    await c.settle();
    expect(c.replies[c.replies.length - 1]).toMatch(/^T02thread:01;/);
    // An interrupt while nothing runs is ignored.
    c.session.receive(Uint8Array.of(0x03));
    expect(await c.ask('?')).toMatch(/^T02/);
  });

  it('monitor commands answer with console output then OK; D and k close the connection', async () => {
    const c = connect();
    timeline.seek(123n);
    const hex = Buffer.from('when').toString('hex');
    expect(await c.ask(`qRcmd,${hex}`)).toBe('OK');
    const out = c.replies.filter((p) => p.startsWith('O') && p !== 'OK').map((p) => Buffer.from(p.slice(1), 'hex').toString());
    expect(out).toEqual(['Current icount: 123\n']);
    expect(await c.ask('qRcmd,zz')).toBe('E01');
    expect(await c.ask('D')).toBe('OK');
    expect(c.closed()).toBe(true);
    const k = connect();
    k.session.receive(encodePacket('k'));
    await k.settle();
    expect(k.closed()).toBe(true);
  });

  it('malformed and oversized packets get error replies; a flood closes the connection', async () => {
    const c = connect();
    c.session.receive(text('$a*#' + checksum(text('a*')).toString(16)));
    await c.settle();
    expect(c.replies[c.replies.length - 1]).toMatch(/^E\.run-length/);
    c.session.receive(text('$' + 'x'.repeat(70000) + '#00'));
    await c.settle();
    expect(c.replies[c.replies.length - 1]).toMatch(/^E\.packet longer than 16384 bytes/);
    expect(await c.ask('qC')).toBe('QC01');
    c.session.receive(new Uint8Array(2 << 20).fill(0x41));
    expect(c.closed()).toBe(true);
    await c.session.finished;
  });
});
