// The recording store's checks of its arguments, and the metadata they
// make: every write checks what it is given before anything is stored (a
// RangeError, nothing written; docs/storage.md, "Checks on input").
import type { ParsedRecording } from '../formats/recording';
import type { RecordingEnded, RecordingInfo } from './schema';
import type { NewRecording, RecordingProgress } from './recording-store';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const MAX_U64 = (1n << 64n) - 1n;

export interface NormalizedProgress {
  length: string;
  ended?: RecordingEnded | null;
}

export function checkId(id: unknown, op: string): void {
  if (typeof id !== 'string' || id === '') throw new RangeError(`${op}: the recording id must be a non-empty string`);
}

export function checkName(name: unknown, op: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw new RangeError(`${op}: a recording's name must be a non-empty string`);
  return name;
}

export function checkNewRecording(r: NewRecording): Pick<RecordingInfo, 'name' | 'programName' | 'programSha256' | 'createdAt'> {
  if (typeof r !== 'object' || r === null) throw new RangeError('create: the recording must be an object');
  const name = checkName(r.name, 'create');
  if (typeof r.programName !== 'string') throw new RangeError('create: programName must be a string');
  if (typeof r.programSha256 !== 'string' || !SHA256_HEX.test(r.programSha256)) {
    throw new RangeError('create: programSha256 must be 64 lowercase hex digits');
  }
  const created = r.createdAt instanceof Date ? r.createdAt : typeof r.createdAt === 'string' ? new Date(r.createdAt) : undefined;
  if (!created || Number.isNaN(created.getTime())) throw new RangeError('create: createdAt must be a Date or an ISO 8601 date-time');
  return { name, programName: r.programName, programSha256: r.programSha256, createdAt: created.toISOString() };
}

export function checkProgress(progress: RecordingProgress, op: string): NormalizedProgress {
  if (typeof progress !== 'object' || progress === null) throw new RangeError(`${op}: progress must be an object`);
  const { length, ended } = progress;
  let decimal: string;
  if (typeof length === 'bigint' && length >= 0n && length <= MAX_U64) decimal = length.toString();
  else if (typeof length === 'number' && Number.isSafeInteger(length) && length >= 0) decimal = String(length);
  else if (typeof length === 'string' && DECIMAL.test(length) && length.length <= 20 && BigInt(length) <= MAX_U64) decimal = length;
  else throw new RangeError(`${op}: length must be an instruction count from 0 to 2^64-1, not ${String(length)}`);
  if (ended === undefined) return { length: decimal };
  if (ended === null) return { length: decimal, ended: null };
  if (typeof ended !== 'object' || typeof ended.reason !== 'string') throw new RangeError(`${op}: ended.reason must be a string`);
  if (ended.exitCode !== undefined && !Number.isSafeInteger(ended.exitCode)) throw new RangeError(`${op}: ended.exitCode must be a whole number`);
  return {
    length: decimal,
    ended: { reason: ended.reason, ...(ended.exitCode !== undefined ? { exitCode: ended.exitCode } : {}) },
  };
}

export function applyProgress(info: RecordingInfo, progress: NormalizedProgress): void {
  info.length = progress.length;
  if (progress.ended !== undefined) info.ended = progress.ended;
}

export function checkSources(files: Record<string, string>): [string, string][] {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    throw new RangeError('putSources: files must be an object mapping paths to texts');
  }
  const entries = Object.entries(files);
  for (const [path, text] of entries) {
    if (path === '') throw new RangeError('putSources: a file path must not be empty');
    if (typeof text !== 'string') throw new RangeError(`putSources: the text of ${JSON.stringify(path)} must be a string`);
  }
  return entries;
}

/** Length and end of a parsed (prefix of a) recording. */
export function progressOf(parsed: ParsedRecording): Required<NormalizedProgress> {
  const last = parsed.events.length ? parsed.events[parsed.events.length - 1].icount : 0n;
  if (!parsed.end) return { length: last.toString(), ended: null };
  const { icount, reason, exitCode } = parsed.end;
  return { length: icount.toString(), ended: { reason, ...(exitCode !== undefined ? { exitCode } : {}) } };
}
