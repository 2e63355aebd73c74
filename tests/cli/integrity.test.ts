// Issue 17 from a shell: a recording from someone else is trusted or refused,
// with exact statuses and messages that name the file.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runHindsight, tempDir } from '../support/qemu';
import { parseRecording, sha256Hex, type ParsedRecording, type RecordingEvent } from '../../workers/formats/recording';
import { recordExample, openReplay } from '../replay/support';
import { rebuild, chunksOf, fixChecksums } from '../replay/tamper';
import { exportSnapshotImage } from '../../workers/replay/snapshot-image';

let dir: string;
let hello: ParsedRecording;
let helloOutput: string;
beforeAll(async () => {
  dir = tempDir('cli-integrity');
  const rec = await recordExample('hello');
  hello = parseRecording(rec.file);
  helloOutput = rec.output;
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function put(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

function withOutputByte(events: RecordingEvent[], index: number, byte: number): RecordingEvent[] {
  let seen = 0;
  return events.map((e) => {
    if (e.kind !== 'output') return e;
    const start = seen;
    seen += e.bytes.length;
    if (index < start || index >= seen) return e;
    const bytes = e.bytes.slice();
    bytes[index - start] = byte;
    return { ...e, bytes };
  });
}

describe('every divergence exits 3 with the file name, the icount and what differed', () => {
  it('changed output text', () => {
    const file = put('out.hsr', rebuild(hello, withOutputByte(hello.events, 4, 0x1b)));
    const r = runHindsight(['replay', file], { cwd: dir });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^hindsight: ${file.replace(/[.]/g, '\\.')}: replay diverged at icount \\d+: stdout differs at byte 4: the recording has "\\\\x1b" \\(0x1b\\), replay wrote "o" \\(0x6f\\)`));
    expect(r.stderr).not.toContain('\x1b');
    expect(r.output).toBe(helloOutput.slice(0, 4));
  });

  it('at icount 0: a log from another program', async () => {
    const other = parseRecording((await recordExample('uart')).file);
    const file = put('other.hsr', rebuild(hello, hello.events, { meta: other.meta, program: other.program }));
    for (const command of ['replay', 'snapshots', 'debug']) {
      const r = runHindsight(command === 'snapshots' ? [command, file, '--embed'] : [command, file], { cwd: dir });
      expect(r.status, command).toBe(3);
      expect(r.stderr, command).toMatch(new RegExp(`^hindsight: ${file.replace(/[.]/g, '\\.')}: replay diverged at icount 0: `));
    }
  });
});

describe('an impossible machine or program is refused with status 1, by info too', () => {
  const cases: [string, (p: ParsedRecording) => Uint8Array, RegExp][] = [
    ['4096 MiB of RAM', (p) => rebuild(p, p.events, { meta: { ...p.meta, ramMiB: 4096 } }), /impossible machine: its RAM size is 4096 MiB; a machine has 1 to 2048 MiB$/],
    ['1 MiB of RAM with segments outside it', (p) => rebuild(p, p.events, { meta: { ...p.meta, ramMiB: 1 } }),
      /its program cannot be loaded into its 1 MiB machine: PT_LOAD segment \d+ \(.*\) is not entirely inside RAM/],
    ['a disk that is not whole sectors', (p) => {
      const disk = new Uint8Array(1000);
      return rebuild(p, p.events, { meta: { ...p.meta, diskSha256: sha256Hex(disk) }, disk });
    }, /impossible machine: its disk image is 1000 bytes, not a whole number of 512-byte sectors$/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const file = put('machine.hsr', make(hello));
      for (const command of ['replay', 'info', 'debug', 'snapshots']) {
        const r = runHindsight(command === 'snapshots' ? [command, file, '--embed'] : [command, file], { cwd: dir });
        expect(r.status, command).toBe(1);
        expect(r.stderr.trim(), command).toMatch(new RegExp(`^hindsight: ${file.replace(/[.]/g, '\\.')}: ${message.source}`));
      }
    });
  }
});

describe('terminal-safe messages', () => {
  it('info escapes control characters from the file, in text and JSON', () => {
    const meta = { ...hello.meta, name: 'evil\x1b]0;owned\x07\x1b[2J\u009b31m\u202ename', recorder: 'x\r\nrecording:   forged' };
    const file = put('esc.hsr', rebuild(hello, hello.events, { meta }));
    const text = runHindsight(['info', file], { cwd: dir });
    expect(text.status).toBe(0);
    expect(text.output).toContain('evil\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202ename');
    expect(text.output).toContain('x\\x0d\\x0arecording:   forged');
    // eslint-disable-next-line no-control-regex
    expect(text.output).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    const json = runHindsight(['info', file, '--json'], { cwd: dir });
    // eslint-disable-next-line no-control-regex
    expect(json.output).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
    expect(JSON.parse(json.output).name).toBe(meta.name);
  });
});

describe('END counts and chunk types', () => {
  it('deleted events, a retyped EVTS chunk and an unknown critical chunk are refused with status 1', () => {
    const lastOut = hello.events.map((e) => e.kind).lastIndexOf('output');
    const fewer = put('fewer.hsr', rebuild(hello, hello.events.filter((_, k) => k !== lastOut), { countsFor: hello.events }));
    const r1 = runHindsight(['replay', fewer], { cwd: dir });
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(new RegExp(`corrupt recording at offset 0x[0-9a-f]+: END records ${hello.events.length} events, but the EVTS chunks hold ${hello.events.length - 1}`));
    const whole = rebuild(hello);
    const evts = chunksOf(whole).find((c) => c.type === 'EVTS')!;
    for (const [type, message] of [['evts', /END records \d+ events, but the EVTS chunks hold 0/], ['EVTX', new RegExp(`corrupt recording at offset 0x${evts.offset.toString(16)}: chunk type EVTX is unknown and not marked optional`)]] as const) {
      const bytes = whole.slice();
      bytes.set(new TextEncoder().encode(type), evts.offset);
      const file = put(`retyped-${type}.hsr`, fixChecksums(bytes));
      const r = runHindsight(['info', file], { cwd: dir });
      expect(r.status, type).toBe(1);
      expect(r.stderr, type).toMatch(message);
    }
  });

  it('a recording without counts (older writer) is still read', () => {
    const file = put('nocounts.hsr', rebuild(hello, hello.events, { noCounts: true }));
    expect(runHindsight(['replay', file], { cwd: dir }).status).toBe(0);
  });
});

describe('a damaged embedded snapshot image', () => {
  it('is a warning: replay, debug and snapshots go on without it', async () => {
    const t = await openReplay(rebuild(hello));
    await t.continue();
    const image = exportSnapshotImage(t);
    image[0] ^= 0xff;
    const file = put('snap.hsr', rebuild(hello, hello.events, { snapshot: image }));
    const r = runHindsight(['replay', file], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.output).toBe(helloOutput);
    expect(r.stderr).toMatch(new RegExp(`^hindsight: warning: ${file.replace(/[.]/g, '\\.')}: ignoring its embedded snapshot image: snapshot image: qcow2`));
    const d = runHindsight(['debug', file], { cwd: dir, stdin: 'continue\n' });
    expect(d.status).toBe(0);
    expect(d.stderr).toMatch(/ignoring its snapshot image/);
    const s = runHindsight(['snapshots', file, '--embed'], { cwd: dir });
    expect(s.status).toBe(0);
    expect(runHindsight(['replay', file], { cwd: dir }).stderr).toBe('');
  });
});

describe('hindsight verify', () => {
  const verify = (file: string) => runHindsight(['verify', file], { cwd: dir });
  const esc = (s: string) => s.replace(/[.]/g, '\\.');

  it('an honest recording: verdict ok, status 0', async () => {
    const t = await openReplay(rebuild(hello));
    await t.continue();
    const file = put('ok.hsr', rebuild(hello, hello.events, { snapshot: exportSnapshotImage(t) }));
    const r = verify(file);
    expect(r.output).toBe(`${file}: verdict: ok (${hello.events.length} events, replayed to icount ${hello.end!.icount}, 0 embedded snapshots checked)\n`);
    expect(r.status).toBe(0);
  });

  it('one line per problem, a verdict and its status: malformed 1, diverged 3, cut off 4', async () => {
    const whole = rebuild(hello);
    const bad = whole.slice();
    bad[bad.length - 20] ^= 0xff;
    const m = verify(put('v-bad.hsr', bad));
    expect(m.status).toBe(1);
    expect(m.output).toMatch(new RegExp(`^${esc(join(dir, 'v-bad.hsr'))}: malformed: corrupt recording at offset 0x[0-9a-f]+: chunk END  checksum mismatch .*\n.*: verdict: malformed\n$`));

    const d = verify(put('v-out.hsr', rebuild(hello, withOutputByte(hello.events, 2, 0x21))));
    expect(d.status).toBe(3);
    expect(d.output).toMatch(/: diverged: replay diverged at icount \d+: stdout differs at byte 2: the recording has "!" \(0x21\), replay wrote "l" \(0x6c\)/);
    expect(d.output).toMatch(/: verdict: diverged \(/);

    const c = verify(put('v-cut.hsr', whole.subarray(0, whole.length - 5)));
    expect(c.status).toBe(4);
    expect(c.output).toMatch(/: cut off: the last chunk \(END {2}at offset 0x[0-9a-f]+\) is cut off: .*\n.*: verdict: cut off \(/);

    const damaged = exportSnapshotImage(await (async () => { const t = await openReplay(whole); await t.continue(); return t; })());
    damaged[0] ^= 0xff;
    const i = verify(put('v-img.hsr', rebuild(hello, hello.events, { snapshot: damaged })));
    expect(i.status).toBe(1);
    expect(i.output).toMatch(/: malformed: embedded snapshot image: qcow2/);

    const ram = verify(put('v-ram.hsr', rebuild(hello, hello.events, { meta: { ...hello.meta, ramMiB: 4096 } })));
    expect(ram.status).toBe(1);
    expect(ram.output).toMatch(/: malformed: impossible machine: its RAM size is 4096 MiB/);
  });
});
