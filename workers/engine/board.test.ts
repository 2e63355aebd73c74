// The board table (board.ts) against the AssemblyScript core, which keeps its
// own copy of the addresses (workers/core/layout.ts, bus.ts): every device's
// first and last byte can be read, the bytes just outside it fault; and the
// device tree the machine loads for the ROM's a1.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Core } from './core';
import { Machine } from './machine';
import { BufferedInput } from './host-input';
import { loadCoreWasm } from '../cli/node-host';
import {
  BOARD, RAM_BASE, boardDevices, deviceTreeAddress, memoryMapMarkdown, PLIC_NUM_SOURCES, PLIC_NUM_PRIORITIES, DEVICE_TREE_REGION_BYTES,
} from './board';
import { DEVICES } from './memory-map';
import { ElfError } from '../formats/elf';

const ROOT = join(import.meta.dirname, '../..');
const RAM_BYTES = 16n << 20n;
const MTVEC = BigInt(RAM_BASE) + 0x100n;
const LB_T0_T1 = 0x00030283; // lb t0, 0(t1)
const LW_T0_T1 = 0x00032283; // lw t0, 0(t1)
const SW_T2_T1 = 0x00732023; // sw t2, 0(t1)
const SB_T2_T1 = 0x00730023; // sb t2, 0(t1)

let wasm: WebAssembly.Module;
beforeAll(async () => { wasm = await WebAssembly.compile(loadCoreWasm() as BufferSource); });

/** A bare core on board `revision`, running single instructions placed at the start of RAM. */
async function probeCore(revision: 1 | 2) {
  const core = await Core.instantiate(wasm);
  expect(core.raw.init(RAM_BYTES, 0n, revision)).toBe(1);
  core.raw.reset();
  const exec = (insn: number, t1: bigint, t2 = 0n): { faulted: boolean; cause: bigint; tval: bigint; t0: bigint } => {
    core.view().setUint32(core.layout.ram, insn, true);
    core.raw.writeCsr(0x305, MTVEC);
    core.raw.writeCsr(0x342, 0n);
    core.raw.setPc(BigInt(RAM_BASE));
    core.writeReg(5, 0n);
    core.writeReg(6, t1);
    core.writeReg(7, t2);
    core.raw.run(1n, 2);
    const pc = BigInt.asUintN(64, core.raw.getPc());
    if (pc !== MTVEC && pc !== BigInt(RAM_BASE) + 4n) throw new Error(`unexpected pc 0x${pc.toString(16)}`);
    return {
      faulted: pc === MTVEC, cause: BigInt.asUintN(64, core.raw.readCsr(0x342)),
      tval: BigInt.asUintN(64, core.raw.readCsr(0x343)), t0: core.readReg(5),
    };
  };
  return { core, exec };
}

describe('the board table', () => {
  it('lists non-overlapping devices by address, below RAM, with PLIC sources in range', () => {
    for (let i = 1; i < BOARD.length; i++) expect(BOARD[i].base).toBeGreaterThanOrEqual(BOARD[i - 1].base + BOARD[i - 1].size);
    const last = BOARD[BOARD.length - 1];
    expect(last.base + last.size).toBeLessThanOrEqual(RAM_BASE);
    const irqs = BOARD.flatMap((d) => d.irqs);
    expect(new Set(irqs).size).toBe(irqs.length);
    for (const irq of irqs) { expect(irq).toBeGreaterThan(0); expect(irq).toBeLessThan(PLIC_NUM_SOURCES); }
    expect(DEVICES.map((d) => [d.name, d.base, d.size])).toEqual(BOARD.map((d) => [d.name, d.base, d.size]));
  });

  for (const revision of [1, 2] as const) {
    it(`agrees with the core's bus on board revision ${revision}: each device's first and last byte read, the bytes around it fault`, async () => {
      const { exec } = await probeCore(revision);
      for (const d of BOARD) {
        const present = d.since <= revision;
        for (const addr of [d.base, d.base + d.size - 1]) {
          const r = exec(LB_T0_T1, BigInt(addr));
          expect(r.faulted, `${d.name}: load at 0x${addr.toString(16)} on board ${revision}`).toBe(!present);
          if (!present) expect([r.cause, r.tval]).toEqual([5n, BigInt(addr)]);
        }
        if (!present) continue;
        // Just outside, unless a neighbour (another device of the table) is there.
        for (const addr of [d.base - 1, d.base + d.size]) {
          if (boardDevices(revision).some((o) => addr >= o.base && addr < o.base + o.size)) continue;
          const r = exec(LB_T0_T1, BigInt(addr));
          expect(r.faulted, `${d.name}: load at 0x${addr.toString(16)} (outside) on board ${revision}`).toBe(true);
          expect([r.cause, r.tval]).toEqual([5n, BigInt(addr)]);
        }
      }
      expect(exec(LB_T0_T1, BigInt(RAM_BASE) - 1n).faulted).toBe(true);
      expect(exec(LB_T0_T1, BigInt(RAM_BASE) + 0x1000n).faulted).toBe(false);
    });
  }

  it("agrees with the core's exported layout constants and the ROM's device-tree address", async () => {
    const { core } = await probeCore(2);
    const mrom = BOARD.find((d) => d.id === 'mrom');
    expect(core.layout.mromSize).toBe(mrom?.size);
    // The ROM's reset stub: ld a1, 32(t0) with t0 = the ROM's base.
    const a1 = core.view().getBigUint64(core.layout.mrom + 32, true);
    expect(Number(a1)).toBe(deviceTreeAddress(Number(RAM_BYTES)));
    expect(core.view().getBigUint64(core.layout.mrom + 24, true)).toBe(BigInt(RAM_BASE));
  });

  // QEMU 7.2 with -m 17M passes a1 = 0x81000000: the highest 2 MiB boundary that leaves 1 MiB for the tree.
  it("agrees with QEMU's device-tree address for RAM sizes that are an odd number of MiB", async () => {
    const core = await Core.instantiate(wasm);
    core.raw.init(17n << 20n, 0n, 2);
    core.raw.reset();
    expect(Number(core.view().getBigUint64(core.layout.mrom + 32, true))).toBe(deviceTreeAddress(17 << 20));
  });

  it("agrees with the core's PLIC: sources 1..95 with priorities 0..7, the UART on its source", async () => {
    const { exec } = await probeCore(2);
    const plic = BOARD.find((d) => d.id === 'plic') as (typeof BOARD)[number];
    const priority = (s: number) => BigInt(plic.base + 4 * s);
    for (const s of [1, PLIC_NUM_SOURCES - 1]) {
      exec(SW_T2_T1, priority(s), 0xffff_ffffn);
      expect(exec(LW_T0_T1, priority(s)).t0, `priority of source ${s}`).toBe(BigInt(PLIC_NUM_PRIORITIES));
    }
    exec(SW_T2_T1, priority(PLIC_NUM_SOURCES), 7n);
    expect(exec(LW_T0_T1, priority(PLIC_NUM_SOURCES)).t0, 'there is no source 96').toBe(0n);

    // The UART's receive interrupt: IER.ERBFI, a byte in the FIFO, and its source is pending.
    const { core, exec: exec2 } = await probeCore(2);
    const uart = BOARD.find((d) => d.id === 'uart') as (typeof BOARD)[number];
    exec2(SB_T2_T1, BigInt(uart.base + 1), 1n);
    expect(core.raw.uartReceive(0x41)).toBe(1);
    const pending = exec2(LW_T0_T1, BigInt(plic.base + 0x1000)).t0;
    expect(pending).toBe(1n << BigInt(uart.irqs[0]));
  });

  it("is docs/machine.md's memory-map table", () => {
    const doc = readFileSync(join(ROOT, 'docs/machine.md'), 'utf8');
    expect(doc).toContain(memoryMapMarkdown());
  });
});

/** A minimal RISC-V ELF executable: one PT_LOAD segment of `code` at `addr`, entry at its start. */
function tinyElf(code: Uint8Array, addr: number, memSize = code.length): Uint8Array {
  const out = new Uint8Array(64 + 56 + code.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(addr), true); // e_entry
  v.setBigUint64(32, 64n, true); // e_phoff
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(54, 56, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint32(64, 1, true); // PT_LOAD
  v.setUint32(68, 5, true); // R X
  v.setBigUint64(72, 120n, true); // p_offset
  v.setBigUint64(80, BigInt(addr), true);
  v.setBigUint64(88, BigInt(addr), true);
  v.setBigUint64(96, BigInt(code.length), true);
  v.setBigUint64(104, BigInt(memSize), true);
  v.setBigUint64(112, 4n, true);
  out.set(code, 120);
  return out;
}

describe('the device tree in RAM', () => {
  const hello = () => new Uint8Array(readFileSync(join(ROOT, 'public/examples/hello.elf')));
  const spin = () => tinyElf(new Uint8Array([0x6f, 0, 0, 0]), RAM_BASE); // j .

  it('is at the address the ROM passes in a1 after load, and its pages are the loaded image', async () => {
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 16 });
    m.load(hello());
    const dtb = m.deviceTree() as Uint8Array;
    const a1 = Number(m.core.view().getBigUint64(m.core.layout.mrom + 32, true));
    expect(m.deviceTreeAddress()).toBe(a1);
    expect(m.readMemory(BigInt(a1), dtb.length)).toEqual(dtb);
    expect(new DataView(dtb.buffer).getUint32(0)).toBe(0xd00dfeed);
    const first = (a1 - RAM_BASE) >> 12;
    expect(m.deviceTreePages()).toEqual(Array.from({ length: Math.ceil(dtb.length / 4096) }, (_, i) => first + i));
    // Loading cleared the dirty map, as for the segments.
    expect(m.dirtyPages()).toEqual([]);
    // Reloading puts it there again.
    m.writeMemory(BigInt(a1), new Uint8Array(16));
    m.load(hello());
    expect(m.readMemory(BigInt(a1), dtb.length)).toEqual(dtb);
  });

  it('is not there on board revision 1 (its recordings replay on RAM as it was); with 1 MiB of RAM it is at the start of RAM, and a program there is refused, as QEMU refuses it', async () => {
    const old = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 16, boardRevision: 1 });
    old.load(hello());
    expect(old.deviceTree()).toBeUndefined();
    expect(old.deviceTreePages()).toEqual([]);
    const a1 = deviceTreeAddress(16 << 20);
    expect(old.readMemory(BigInt(a1), 4096)).toEqual(new Uint8Array(4096));

    const tiny = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 1 });
    expect(tiny.deviceTreeAddress()).toBe(RAM_BASE);
    expect(() => tiny.load(spin())).toThrow(/overlaps the device tree at 0x80000000\+0x100000/);
  });

  it('refuses, as QEMU does, a program whose segments overlap the 1 MiB QEMU copies the device tree to', async () => {
    // With 2 MiB of RAM the device tree goes at 0x80000000, where the program is (QEMU: "Some ROM regions are overlapping").
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 2 });
    expect(() => m.load(spin())).toThrow(ElfError);
    expect(() => m.load(spin())).toThrow(
      `PT_LOAD segment 0 (0x80000000+0x4) overlaps the device tree at 0x80000000+0x${DEVICE_TREE_REGION_BYTES.toString(16)} (QEMU refuses`);
    const old = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 2, boardRevision: 1 });
    expect(() => old.load(spin())).not.toThrow();
    // Bss counts: a segment whose zero-filled part reaches the region is refused too (16 MiB: the tree at 0x80e00000).
    const big = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 16 });
    expect(() => big.load(tinyElf(new Uint8Array([0x6f, 0, 0, 0]), RAM_BASE, 0xe0_0001))).toThrow(/segment 0 \(0x80000000\+0xe00001\) overlaps the device tree at 0x80e00000/);
    expect(() => big.load(tinyElf(new Uint8Array([0x6f, 0, 0, 0]), RAM_BASE, 0xe0_0000))).not.toThrow();
    expect(() => big.load(tinyElf(new Uint8Array([0x6f, 0, 0, 0]), 0x80f0_0000))).not.toThrow();
    expect(() => big.load(tinyElf(new Uint8Array([0x6f, 0, 0, 0]), 0x80ef_fffc))).toThrow(/overlaps the device tree/);
  });

  it('carries bootargs in /chosen when the machine has them', async () => {
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 16, bootargs: 'console=ttyS0' });
    const text = new TextDecoder().decode(m.deviceTree());
    expect(text).toContain('bootargs\0');
    expect(text).toContain('console=ttyS0\0');
  });
});
