// State digests: a cheap, canonical fingerprint of the architectural state,
// written into recordings and checked on replay. The memory part is an XOR of
// per-page hashes kept up to date incrementally, so it depends only on RAM
// contents, never on which pages happened to be marked dirty.
import type { Machine } from '../engine/machine';

export const PAGE_SIZE = 4096;
export const DIGEST_BYTES = 32;

const MASK = (1n << 64n) - 1n;

function mix(x: bigint): bigint {
  x = ((x ^ (x >> 33n)) * 0xff51afd7ed558ccdn) & MASK;
  x = ((x ^ (x >> 33n)) * 0xc4ceb9fe1a85ec53n) & MASK;
  return x ^ (x >> 33n);
}

function fnv64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & MASK;
  return h;
}

export interface StateDigest {
  pc: bigint;
  registers: bigint;
  /** CSRs, counters, devices, semihosting handles. */
  machine: bigint;
  memory: bigint;
}

export function encodeDigest(d: StateDigest): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, d.pc, true);
  v.setBigUint64(8, d.registers, true);
  v.setBigUint64(16, d.machine, true);
  v.setBigUint64(24, d.memory, true);
  return out;
}

export function decodeDigest(bytes: Uint8Array): StateDigest | undefined {
  if (bytes.length !== DIGEST_BYTES) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { pc: v.getBigUint64(0, true), registers: v.getBigUint64(8, true), machine: v.getBigUint64(16, true), memory: v.getBigUint64(24, true) };
}

export function digestHex(d: StateDigest): string {
  return [d.pc, d.registers, d.machine, d.memory].map((x) => x.toString(16).padStart(16, '0')).join('');
}

/** What differs between two digests, in words a user can act on; undefined if equal. */
export function describeDifference(expected: StateDigest, actual: StateDigest): string | undefined {
  if (expected.pc !== actual.pc) return `expected pc 0x${expected.pc.toString(16)}, got 0x${actual.pc.toString(16)}`;
  if (expected.registers !== actual.registers) return `pc matches (0x${actual.pc.toString(16)}) but the general registers differ`;
  if (expected.machine !== actual.machine) return 'pc and registers match but CSRs or device state differ';
  if (expected.memory !== actual.memory) return 'registers match but memory contents differ';
  return undefined;
}

/** Tracks the memory digest of one machine as pages change. */
export class MemoryDigest {
  private pageHashes: BigUint64Array;
  private zeroPageHash: bigint;
  value = 0n;

  constructor(private readonly machine: Machine) {
    this.pageHashes = new BigUint64Array(machine.pagedBytes / PAGE_SIZE);
    const scratch = machine.core.layout.scratch;
    machine.core.bytes().fill(0, scratch, scratch + PAGE_SIZE);
    this.zeroPageHash = machine.hashHostBytes(scratch, PAGE_SIZE, 0n);
  }

  /** Starts from all-zero RAM (before a program is loaded). */
  reset(): void {
    this.value = 0n;
    this.pageHashes.fill(0n);
  }

  /** Re-hashes page p from RAM. */
  update(page: number): void {
    const raw = this.machine.hashHostBytes(this.machine.core.layout.ram + page * PAGE_SIZE, PAGE_SIZE, 0n);
    // Zero pages contribute nothing, so untouched RAM costs nothing.
    const h = raw === this.zeroPageHash ? 0n : mix(raw ^ (BigInt(page) * 0x9e3779b97f4a7c15n & MASK));
    this.value ^= this.pageHashes[page] ^ h;
    this.pageHashes[page] = h;
  }
}

export function computeDigest(machine: Machine, memory: MemoryDigest): StateDigest {
  const s = machine.captureState();
  const layout = machine.core.layout;
  const registers = machine.hashHostBytes(layout.regs, layout.registerFileBytes, 1n);
  machine.core.bytes().set(s.core, layout.scratch);
  const coreHash = machine.hashHostBytes(layout.scratch, s.core.length, 2n);
  const machineHash = mix(coreHash ^ fnv64(JSON.stringify(s.semihosting)));
  return { pc: machine.pc, registers, machine: machineHash, memory: memory.value };
}
