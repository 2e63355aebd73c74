// Helpers for record/replay tests: record an example in-process, turn it into
// a recording file, open it again.
import { concatBytes } from '../../workers/formats/bytes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Timeline, type TimelineOptions } from '../../workers/replay/timeline';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { RecordingWriter, parseRecording, type ParsedRecording } from '../../workers/formats/recording';
import { EXAMPLES_DIR, ROOT } from '../support/qemu';

export const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
export const RAM_MIB = 32;

export function example(name: string): Uint8Array {
  return readFileSync(join(EXAMPLES_DIR, `${name}.elf`));
}

export interface Recorded {
  file: Uint8Array;
  output: string;
  timeline: Timeline;
}

/** Records an example to its end and returns the recording file's bytes and the guest output. */
export async function recordExample(name: string, stdin = '', options: TimelineOptions = {}): Promise<Recorded> {
  const program = example(name);
  const clock = () => 1_800_000_000; // a fixed wall clock: recordings must not depend on it anyway
  const timeline = await Timeline.record(wasm, program, `${name}.elf`, { ramMiB: RAM_MIB, commandLine: `${name}.elf` },
    new BufferedInput(new TextEncoder().encode(stdin), clock), 'cli', options);
  let output = '';
  timeline.onOutput((bytes) => { output += new TextDecoder().decode(bytes); });
  const result = await timeline.continue();
  if (result.reason !== 'exit') throw new Error(`${name} did not exit: ${result.reason} ${result.message ?? ''}`);
  const pieces = [RecordingWriter.start(timeline.meta, program), RecordingWriter.events(timeline.takeNewEvents())];
  if (!timeline.ended) throw new Error('no end');
  pieces.push(RecordingWriter.end(timeline.ended));
  return { file: concat(pieces), output, timeline };
}

export async function openReplay(file: Uint8Array | ParsedRecording, options: TimelineOptions = {}): Promise<Timeline> {
  const parsed = file instanceof Uint8Array ? parseRecording(file) : file;
  return Timeline.replay(wasm, parsed, options);
}

/** The full architectural state of a machine as comparable text (registers, CSRs/devices, all of RAM). */
export function stateFingerprint(m: Machine): string {
  const s = m.captureState();
  const ramHash = m.hashHostBytes(m.core.layout.ram, m.ramBytes, 7n);
  return [m.icount, m.pc, ...m.registers()].map((v) => v.toString(16)).join(',') + `|${Buffer.from(s.core).toString('hex')}|${ramHash.toString(16)}`;
}

/** A fresh machine running `program` from reset for exactly `icount` instructions. */
export async function referenceAt(program: Uint8Array, name: string, icount: bigint): Promise<Machine> {
  const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: RAM_MIB, commandLine: name });
  m.load(program);
  let left = icount;
  while (left > 0n) {
    const stop = m.run(left);
    if (stop.reason !== 'budget' && stop.reason !== 'exit') throw new Error(`reference run stopped: ${stop.reason}`);
    left = icount - m.icount;
    if (stop.reason === 'exit') break;
  }
  return m;
}

/** Concatenation, under the name the tests use. */
export const concat = concatBytes;
