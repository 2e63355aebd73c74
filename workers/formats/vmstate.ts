// The machine state of one snapshot (everything but RAM) as bytes: what a
// qcow2 snapshot carries as its "VM state". Ours, versioned, and read from
// untrusted files: every field is checked.
//
// Layout (little-endian):
//   0  magic "HSVM"           4  u32 version (2)
//   8  u64 icount            16  u32 core-state length C   20  u32 semihosting JSON length J
//  24  u32 exit code + 1 (0: still running)                 28  u32 reserved (0)
//  32  registers x0..x31 then f0..f31 (512 bytes)
// 544  core state (C bytes, workers/core saveState)
// 544+C semihosting state (J bytes of UTF-8 JSON)
// Version 1 (RV64IMAC, before F and D) had 256 bytes of registers and a
// shorter core state; it is refused with a message saying so.

export const VMSTATE_MAGIC = 0x4d565348; // "HSVM"
export const VMSTATE_VERSION = 2;
const HEADER = 32;
/** The register file: x0..x31 and f0..f31, 8 bytes each (the core's REGISTER_FILE_BYTES). */
export const REGISTER_FILE_BYTES = 512;
const REGISTERS = REGISTER_FILE_BYTES;
const MAX_CORE_STATE = 0x4000;
const MAX_SEMIHOSTING = 0x10000;
const MAX_HANDLES = 4096;

/**
 * The largest VM state decodeVmState accepts for a core state of this length:
 * a reader checks a snapshot's VM state size against it before reading (and
 * allocating) the VM state, which an image may claim to be up to a gigabyte.
 */
export function maxVmStateSize(coreLength: number): number {
  return HEADER + REGISTERS + Math.min(coreLength, MAX_CORE_STATE) + MAX_SEMIHOSTING;
}

export class VmStateError extends Error {
  override name = 'VmStateError';
}

export interface SemihostingHandles {
  handles: ({ kind: 'console'; stream: 'stdin' | 'stdout' | 'stderr' } | { kind: 'features'; position: number } | null)[];
  errno: number;
}

export interface VmState {
  icount: bigint;
  registers: Uint8Array;
  core: Uint8Array;
  semihosting: SemihostingHandles;
  /** The exit code if the program had exited at this point. */
  exitCode: number | undefined;
}

export function encodeVmState(s: VmState): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(s.semihosting));
  if (s.registers.length !== REGISTERS) throw new VmStateError(`registers must be ${REGISTERS} bytes`);
  const out = new Uint8Array(HEADER + REGISTERS + s.core.length + json.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, VMSTATE_MAGIC, true);
  v.setUint32(4, VMSTATE_VERSION, true);
  v.setBigUint64(8, s.icount, true);
  v.setUint32(16, s.core.length, true);
  v.setUint32(20, json.length, true);
  v.setUint32(24, s.exitCode === undefined ? 0 : (s.exitCode & 0xff) + 1, true);
  out.set(s.registers, HEADER);
  out.set(s.core, HEADER + REGISTERS);
  out.set(json, HEADER + REGISTERS + s.core.length);
  return out;
}

/** Decodes and checks a VM state; `expectedCoreLength` is what this core's saveState produces. */
export function decodeVmState(bytes: Uint8Array, expectedCoreLength: number): VmState {
  if (bytes.length < HEADER + REGISTERS) throw new VmStateError(`VM state too short: ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== VMSTATE_MAGIC) throw new VmStateError('VM state: bad magic (not a Hindsight machine state)');
  const version = v.getUint32(4, true);
  if (version === 1) {
    throw new VmStateError('VM state version 1 was written by an earlier Hindsight, before the machine had floating-point registers: it cannot be restored (replay rebuilds the snapshot)');
  }
  if (version !== VMSTATE_VERSION) throw new VmStateError(`VM state version ${version} is not supported (this Hindsight reads ${VMSTATE_VERSION})`);
  const coreLength = v.getUint32(16, true);
  const jsonLength = v.getUint32(20, true);
  if (coreLength !== expectedCoreLength || coreLength > MAX_CORE_STATE) {
    throw new VmStateError(`VM state: core state is ${coreLength} bytes, this core uses ${expectedCoreLength}`);
  }
  if (jsonLength > MAX_SEMIHOSTING || HEADER + REGISTERS + coreLength + jsonLength !== bytes.length) {
    throw new VmStateError(`VM state: section lengths (${coreLength} + ${jsonLength}) do not match its size (${bytes.length})`);
  }
  const exit = v.getUint32(24, true);
  if (exit > 256) throw new VmStateError(`VM state: exit field ${exit} out of range`);
  const core = bytes.slice(HEADER + REGISTERS, HEADER + REGISTERS + coreLength);
  // Privilege lives in the core state's fourth u64 (workers/core saveState): only U, S and M exist.
  const priv = core.length >= 32 ? core[24] & 0xff : 0;
  if (priv === 2) throw new VmStateError('VM state: privilege level 2 does not exist');
  let semihosting: unknown;
  try {
    semihosting = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER + REGISTERS + coreLength)));
  } catch {
    throw new VmStateError('VM state: the semihosting section is not valid JSON');
  }
  return {
    icount: v.getBigUint64(8, true),
    registers: bytes.slice(HEADER, HEADER + REGISTERS),
    core,
    semihosting: checkSemihosting(semihosting),
    exitCode: exit === 0 ? undefined : exit - 1,
  };
}

function checkSemihosting(x: unknown): SemihostingHandles {
  const bad = (why: string) => new VmStateError(`VM state: semihosting ${why}`);
  if (typeof x !== 'object' || x === null) throw bad('state is not an object');
  const o = x as Record<string, unknown>;
  if (!Array.isArray(o.handles) || o.handles.length > MAX_HANDLES) throw bad('handles are not a list of reasonable length');
  if (typeof o.errno !== 'number' || !Number.isInteger(o.errno)) throw bad('errno is not an integer');
  const handles = o.handles.map((h: unknown): SemihostingHandles['handles'][number] => {
    if (h === null) return null;
    if (typeof h !== 'object') throw bad('handle is not an object');
    const r = h as Record<string, unknown>;
    if (r.kind === 'console' && (r.stream === 'stdin' || r.stream === 'stdout' || r.stream === 'stderr')) {
      return { kind: 'console', stream: r.stream };
    }
    if (r.kind === 'features' && typeof r.position === 'number' && Number.isInteger(r.position) && r.position >= 0 && r.position <= 5) {
      return { kind: 'features', position: r.position };
    }
    throw bad('handle has an unknown shape');
  });
  return { handles, errno: o.errno };
}
