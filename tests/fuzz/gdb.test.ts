// Seeded fuzz of the GDB server (the packet reader and the session, in
// process, on a replay of public/examples/corruption.elf): random and
// mutated packets (bad checksums, huge lengths, binary X packets, malformed
// vCont, qXfer offsets, run-length encoding, escapes, '$' inside packets,
// unterminated packets, thousands of bytes of garbage). After every case the
// server has answered in the protocol's terms (an E reply, an empty reply
// for what it does not support, or the answer), has thrown nothing (no
// "internal error" in its log or its replies), has not hung, and still
// serves a well-formed packet.
import { describe, it, expect, beforeAll } from 'vitest';
import { PacketReader, encodePacket, checksum, latin1, latin1String, escapeBinary, textToHex } from '../../workers/gdb/packet';
import { GdbSession } from '../../workers/gdb/session';
import { Timeline } from '../../workers/replay/timeline';
import { parseRecording } from '../../workers/formats/recording';
import { recordExample, wasm } from '../replay/support';
import { fuzzCases, fuzzRandom, fuzzTimeout, int, pick } from './support';

const CASES = fuzzCases(1500);

let timeline: Timeline;

beforeAll(async () => {
  const rec = await recordExample('corruption');
  timeline = await Timeline.replay(wasm, parseRecording(rec.file));
});

/** One connection with a fake transport, as tests/gdb/packet.test.ts drives it. */
class Client {
  readonly replies: string[] = [];
  readonly logs: string[] = [];
  closed = false;
  readonly session: GdbSession;
  private readonly reader = new PacketReader(1 << 20);

  constructor() {
    this.session = new GdbSession(timeline, {
      send: (b) => { for (const e of this.reader.push(b)) if (e.kind === 'packet') this.replies.push(latin1String(e.data)); },
      close: () => { this.closed = true; },
      log: (m) => this.logs.push(m),
    }, { file: 'corruption.hsr' });
  }

  /**
   * Sends qC until its answer arrives, and resolves with whether it was
   * answered before the deadline. The garbage before it may have left the
   * reader inside a packet or its checksum: "#00" first ends whatever was
   * unfinished (as GDB's resend after a timeout would, only sooner).
   */
  async serves(deadlineMs: number): Promise<boolean> {
    const started = performance.now();
    let sent = 0;
    let sentAt = -Infinity;
    const from = this.replies.length;
    while (performance.now() - started < deadlineMs && !this.closed) {
      if (this.replies.slice(from).includes('QC01')) return true;
      if (sent < 4 && performance.now() - sentAt > 1000) {
        this.session.receive(Uint8Array.from([...latin1('#00'), ...encodePacket('qC')]));
        sent++;
        sentAt = performance.now();
      }
      await new Promise((r) => setImmediate(r));
    }
    return this.replies.slice(from).includes('QC01');
  }
}

const HEX = ['0', '1', '4', '8', '10', '80000000', '80200928', '801ffffc', '7fffffff', 'ffffffff', 'ffffffffffffffff', '10000000000000000',
  '', 'zz', '-1', '0x10', '00000000000000000000000080000000'];
const hexArg = (random: () => number): string => (random() < 0.7 ? pick(random, HEX) : int(random, 2 ** 32).toString(16));
const MONITOR = ['when', 'help', 'info replay', 'info', 'replay-seek 0', 'replay-seek 100', 'replay-seek 99999999999999999999', 'replay-seek -5',
  'replay-seek zz', 'replay-break 5000', 'replay-break', 'replay-delete-break', 'replay_seek 40000', 'frobnicate', ''];
const FEATURES = ['multiprocess+', 'swbreak+', 'hwbreak+', 'vContSupported+', 'xmlRegisters=i386', 'qRelocInsn+', 'fork-events+', 'x'.repeat(500)];

/** The data of one packet from the protocol's grammar, with random, hostile arguments. */
function packetData(random: () => number): string | Uint8Array {
  const a = () => hexArg(random);
  switch (int(random, 24)) {
    case 0: return `m${a()},${a()}`;
    case 1: return `M${a()},${a()}:${'00'.repeat(int(random, 8))}${random() < 0.3 ? 'z' : ''}`;
    case 2: {
      // Binary X: raw bytes, escaped or not (unescaped '$', '#' and '}' included).
      const n = int(random, 64);
      const bytes = Uint8Array.from({ length: n }, () => (random() < 0.3 ? pick(random, [0x23, 0x24, 0x7d, 0x2a]) : int(random, 256)));
      const body = random() < 0.5 ? escapeBinary(bytes) : bytes;
      return Uint8Array.from([...latin1(`X${a()},${random() < 0.5 ? n.toString(16) : a()}:`), ...body]);
    }
    case 3: return `p${a()}`;
    case 4: return `P${a()}=${a()}`;
    case 5: return random() < 0.5 ? 'g' : 'G' + '0'.repeat(int(random, 1100));
    case 6: return `Z${int(random, 6)},${a()},${a()}`;
    case 7: return `z${int(random, 6)},${a()},${a()}`;
    case 8: {
      const actions = Array.from({ length: 1 + int(random, 3) }, () => {
        const verb = pick(random, ['c', 's', 'C05', 'S0b', 't', 'r0,10', 'x', '', 'C', 'Czz']);
        return random() < 0.5 ? verb : `${verb}:${pick(random, ['1', '-1', '2', '0', 'p1.1', 'p1.-1', 'pzz', 'p1', ''])}`;
      });
      return pick(random, ['vCont;', 'vCont', 'vCont?', 'vCont;;']) + actions.join(';');
    }
    case 9: return `qXfer:features:read:${pick(random, ['target.xml', 'other.xml', '../target.xml', ''])}:${a()},${a()}`;
    case 10: return `qXfer:${pick(random, ['features', 'memory-map', 'threads', 'libraries'])}:read::${a()},${a()}`;
    case 11: {
      const cmd = pick(random, MONITOR);
      return `qRcmd,${random() < 0.8 ? textToHex(cmd) : cmd}`;
    }
    case 12: return 'qSupported:' + Array.from({ length: int(random, 6) }, () => pick(random, FEATURES)).join(';');
    case 13: return `H${pick(random, ['g', 'c', 'x', ''])}${pick(random, ['0', '1', '-1', '2', 'p1.1', 'zz', 'ffffffffffffffffffff'])}`;
    case 14: return `T${pick(random, ['1', '2', '0', '-1', 'p1.1', 'zz', ''])}`;
    case 15: return pick(random, ['?', 'bc', 'bs', 'b', 'bx', 'c', 's', 'C05', 'S05', `c${a()}`, `s${a()}`]);
    case 16: return pick(random, ['qC', 'qfThreadInfo', 'qsThreadInfo', 'qAttached', 'qSymbol::', 'qOffsets', 'qTStatus', `qThreadExtraInfo,${a()}`, 'vMustReplyEmpty', 'qL1200000000000000000']);
    case 17: return pick(random, ['QStartNoAckMode', 'QNonStop:1', 'QPassSignals:', 'QThreadEvents:1']);
    case 18: return `vFile:${pick(random, ['open', 'pread', 'close', 'setfs'])}:${a()},${a()}`;
    case 19: return pick(random, ['vRun;', 'vAttach;1', 'vStopped', 'vCtrlC', 'A', 'R00', 'i', 'I', 'r', 't']);
    case 20: return '';
    case 21: return Uint8Array.from({ length: int(random, 200) }, () => int(random, 256));
    case 22: return `m${a()},${a()}`.repeat(1 + int(random, 50));
    default: return pick(random, ['D', 'k', 'vKill;1']);
  }
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** The bytes of one case: framed packets, mutated framing, garbage. */
function caseBytes(random: () => number): { bytes: Uint8Array; what: string } {
  const data = packetData(random);
  const body = typeof data === 'string' ? latin1(data) : data;
  const shown = latin1String(body.subarray(0, 60)).replace(/[^\x20-\x7e]/g, '.');
  const kind = random();
  if (kind < 0.5) return { bytes: encodePacket(body), what: `packet "${shown}"` };
  if (kind < 0.6) {
    // Framing with the wrong checksum, a non-hex checksum, or none at all.
    const sum = checksum(body);
    const tail = pick(random, [hex2((sum + 1) & 0xff), 'zz', 'g', '', '#', hex2(sum).toUpperCase()]);
    return { bytes: Uint8Array.from([0x24, ...body, 0x23, ...latin1(tail)]), what: `packet "${shown}" with checksum "${tail}"` };
  }
  if (kind < 0.7) {
    // Run-length encoding, good and broken: "X*n" repeats X (n - 29) times.
    const rle = Uint8Array.from([...body.subarray(0, int(random, body.length + 1)), 0x2a, pick(random, [0x20, 0x23, 0x24, 0x7e, 0x7f, 0x01, 0x2a, 0x30 + int(random, 70)]), ...body.subarray(int(random, body.length + 1))]);
    return { bytes: encodePacket(rle), what: `run-length "${latin1String(rle.subarray(0, 60))}"` };
  }
  if (kind < 0.8) {
    // A framed packet with bytes changed: '$' or '#' inside, escapes, flips.
    const framed = Array.from(encodePacket(body));
    for (let n = 1 + int(random, 3); n > 0; n--) {
      const at = int(random, framed.length + 1);
      const b = random() < 0.6 ? pick(random, [0x24, 0x23, 0x7d, 0x2a, 0x03, 0x2b, 0x2d]) : int(random, 256);
      if (random() < 0.5) framed.splice(at, 0, b);
      else framed[Math.min(at, framed.length - 1)] = b;
    }
    return { bytes: Uint8Array.from(framed), what: `mutated framing of "${shown}"` };
  }
  if (kind < 0.87) {
    // Unterminated: the start of a packet and nothing more.
    const framed = encodePacket(body);
    return { bytes: framed.subarray(0, int(random, framed.length)), what: `unterminated "${shown}"` };
  }
  if (kind < 0.95) {
    // Thousands of bytes of garbage, '$' and '#' among them.
    const n = 1 + int(random, 8000);
    const bytes = Uint8Array.from({ length: n }, () => (random() < 0.05 ? pick(random, [0x24, 0x23, 0x03, 0x2b, 0x2d]) : int(random, 256)));
    return { bytes, what: `${n} bytes of garbage` };
  }
  // Longer than the packet size (16 KiB).
  const n = 0x4000 + int(random, 0x8000);
  const big = new Uint8Array(n).fill(0x41);
  return { bytes: random() < 0.5 ? encodePacket(big) : Uint8Array.from([0x24, ...big]), what: `${n}-byte packet` };
}

/** Replies that are neither an answer nor an error in the protocol's terms: what a thrown exception becomes. */
const BROKEN_REPLY = /internal error|TypeError|RangeError|undefined|NaN/;

describe('seeded fuzz of the GDB server', () => {
  it(`${CASES} random and mutated packets: answered, nothing thrown, no hang, and a well-formed packet served after each`, async () => {
    const random = fuzzRandom(0x6db);
    let client = new Client();
    let connections = 1;
    let errors = 0;
    let stops = 0;
    let empty = 0;
    for (let i = 0; i < CASES; i++) {
      // Now and then several at once, as a client that does not wait for answers sends them (an interrupt byte may land mid-motion).
      const parts = Array.from({ length: random() < 0.2 ? 2 + int(random, 3) : 1 }, () => caseBytes(random));
      const bytes = Uint8Array.from(parts.flatMap((p) => [...p.bytes]));
      const what = parts.map((p) => p.what).join(' + ');
      const label = `case ${i} (${what})`;
      const from = client.replies.length;
      const logsFrom = client.logs.length;
      // Delivered whole or in pieces, as TCP may.
      if (random() < 0.3 && bytes.length > 1) {
        const cut = 1 + int(random, bytes.length - 1);
        client.session.receive(bytes.subarray(0, cut));
        client.session.receive(bytes.subarray(cut));
      } else {
        expect(() => client.session.receive(bytes), label).not.toThrow();
      }
      const served = await client.serves(10_000);
      const replies = client.replies.slice(from);
      for (const r of replies) expect(r, `${label}: reply`).not.toMatch(BROKEN_REPLY);
      errors += replies.filter((r) => /^E/.test(r)).length;
      stops += replies.filter((r) => /^T[0-9a-f]{2}/.test(r)).length;
      empty += replies.filter((r) => r === '').length;
      for (const m of client.logs.slice(logsFrom)) expect(m, `${label}: server log`).not.toMatch(/internal error|error handling/);
      if (client.closed) {
        // Only D, k, vKill and floods close the connection; GDB would connect again.
        expect(what, label).toMatch(/"(D|k|vKill)|garbage|-byte packet|mutated|run-length|unterminated|checksum/);
        client.session.disconnect();
        await client.session.finished;
        client = new Client();
        connections++;
        expect(await client.serves(10_000), `${label}: a new connection is served`).toBe(true);
      } else {
        expect(served, `${label}: qC answered after it`).toBe(true);
      }
    }
    client.session.disconnect();
    await client.session.finished;
    expect(timeline.listTraps()).toEqual([]);
    // The fuzz reaches errors, unsupported packets, motions (stop replies) and closed connections (on runs long enough to).
    if (process.env.HINDSIGHT_FUZZ_VERBOSE) console.log({ errors, empty, stops, connections });
    if (CASES >= 500) {
      expect(errors).toBeGreaterThan(0);
      expect(empty).toBeGreaterThan(0);
      expect(stops).toBeGreaterThan(0);
      expect(connections).toBeGreaterThan(1);
    }
  }, fuzzTimeout(120_000, CASES, 200));
});
