// The machine's device tree against QEMU 7.2's own for the same machine
// (`-machine virt,dumpdtb=FILE -bios none -smp 1`), both decompiled by dtc:
// the same nodes, properties, values and order, but for the differences
// docs/machine.md lists (devices Hindsight does not model, the random
// rng-seed, the ISA string). And a bare-metal program that reads the tree's
// magic at a1, on QEMU and on Hindsight.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';
import { RISCV_ISA } from '../../workers/engine/board';
import { tempDir } from '../support/qemu';

const QEMU = 'qemu-system-riscv64';

interface DtsNode { name: string; props: string[]; children: DtsNode[] }

/** `dtc -I dtb -O dts` of the blob (from a file: QEMU's dump is its whole 1 MiB buffer, dtc reads the tree's totalsize). */
function dtc(dtb: Uint8Array): { dts: string; warnings: string } {
  const file = join(dir, 'in.dtb');
  writeFileSync(file, dtb);
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file]);
  if (r.error) throw new Error(`cannot run dtc (apt-get install device-tree-compiler): ${r.error.message}`);
  expect(r.status, r.stderr.toString()).toBe(0);
  return { dts: r.stdout.toString(), warnings: r.stderr.toString() };
}

const decompile = (dtb: Uint8Array): string => dtc(dtb).dts;

/** dtc's output as a tree of nodes with their property lines, in order. */
function parseDts(text: string): DtsNode {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && l !== '/dts-v1/;');
  const root: DtsNode = { name: '', props: [], children: [] };
  const stack: DtsNode[] = [];
  for (const line of lines) {
    if (line === '/ {') { stack.push(root); continue; }
    const top = stack[stack.length - 1];
    if (!top) throw new Error(`dts line outside the root: ${line}`);
    if (line.endsWith(' {')) {
      const node: DtsNode = { name: line.slice(0, -2), props: [], children: [] };
      top.children.push(node);
      stack.push(node);
    } else if (line === '};') {
      stack.pop();
    } else {
      top.props.push(line);
    }
  }
  expect(stack).toEqual([]);
  return root;
}

function node(tree: DtsNode, path: string): DtsNode {
  let n = tree;
  for (const part of path.split('/').filter(Boolean)) {
    const c = n.children.find((x) => x.name === part);
    if (!c) throw new Error(`no node ${path}`);
    n = c;
  }
  return n;
}

function removeNode(tree: DtsNode, path: string): void {
  const at = path.lastIndexOf('/');
  const parent = node(tree, path.slice(0, at) || '/');
  const before = parent.children.length;
  parent.children = parent.children.filter((c) => c.name !== path.slice(at + 1));
  expect(parent.children.length, `QEMU's tree has ${path}`).toBe(before - 1);
}

/** The documented differences (docs/machine.md "Device tree"), applied to QEMU's tree. */
function withoutDocumentedDifferences(qemu: DtsNode): DtsNode {
  // Devices and nodes Hindsight does not model.
  for (const path of ['/pmu', '/fw-cfg@10100000', '/flash@20000000', '/reboot', '/platform-bus@4000000',
    '/soc/rtc@101000', '/soc/pci@30000000']) removeNode(qemu, path);
  // Random bytes from the host: Hindsight is deterministic.
  const chosen = node(qemu, '/chosen');
  expect(chosen.props.filter((p) => p.startsWith('rng-seed = <'))).toHaveLength(1);
  chosen.props = chosen.props.filter((p) => !p.startsWith('rng-seed = '));
  // The ISA: QEMU's harts have H (the hypervisor extension), Hindsight's have not.
  const cpus = node(qemu, '/cpus').children.filter((c) => c.name.startsWith('cpu@'));
  expect(cpus.length).toBeGreaterThan(0);
  for (const cpu of cpus) {
    const isa = cpu.props.findIndex((p) => p.startsWith('riscv,isa = '));
    expect(cpu.props[isa]).toBe('riscv,isa = "rv64imafdch_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc";');
    cpu.props[isa] = `riscv,isa = "${RISCV_ISA}";`;
  }
  return qemu;
}

let dir: string;
let wasm: WebAssembly.Module;
beforeAll(async () => {
  dir = tempDir('dtb');
  wasm = await WebAssembly.compile(loadCoreWasm() as BufferSource);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qemuDtb(ramMiB: number, extra: string[], harts = 1): Uint8Array {
  const file = join(dir, 'qemu.dtb');
  const r = spawnSync(QEMU, ['-machine', `virt,dumpdtb=${file}`, '-bios', 'none', '-m', `${ramMiB}M`, '-smp', String(harts),
    '-display', 'none', '-monitor', 'none', '-serial', 'none', ...extra], { timeout: 30_000 });
  if (r.error) throw new Error(`cannot run ${QEMU}: ${r.error.message}`);
  expect(r.status, r.stderr.toString()).toBe(0);
  return new Uint8Array(readFileSync(file));
}

async function hindsightDtb(ramMiB: number, config: { disk?: Uint8Array; bootargs?: string }, harts = 1): Promise<Uint8Array> {
  const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB, ...config, harts: { count: harts, quantum: 10_000, seed: 0 } });
  return m.deviceTree() as Uint8Array;
}

describe("the device tree against QEMU 7.2's", () => {
  const cases: { name: string; ramMiB: number; disk: boolean; bootargs?: string; harts?: number }[] = [
    { name: '3 harts (-smp 3), with a disk', ramMiB: 128, disk: true, harts: 3 },
    { name: '8 harts (-smp 8)', ramMiB: 256, disk: false, harts: 8 },
    { name: '128 MiB, no disk', ramMiB: 128, disk: false },
    { name: '128 MiB with a disk on virtio-mmio-bus.0', ramMiB: 128, disk: true },
    { name: '16 MiB, with a kernel command line', ramMiB: 16, disk: false, bootargs: 'console=ttyS0 root=/dev/vda rw' },
    { name: '1024 MiB (RAM ends at 0xc0000000), with a disk', ramMiB: 1024, disk: true },
    { name: '2047 MiB', ramMiB: 2047, disk: false },
  ];
  for (const c of cases) {
    it(`has QEMU's nodes and properties but for the documented differences: ${c.name}`, async () => {
      const extra: string[] = [];
      let disk: Uint8Array | undefined;
      if (c.disk) {
        disk = new Uint8Array(64 * 1024);
        const image = join(dir, 'disk.img');
        writeFileSync(image, disk);
        extra.push('-global', 'virtio-mmio.force-legacy=false', '-drive', `file=${image},if=none,format=raw,id=x0`,
          '-device', 'virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0');
      }
      if (c.bootargs !== undefined) {
        // QEMU takes -append only with a kernel: any ELF will do, dumpdtb exits before it runs.
        const elf = join(dir, 'k.elf');
        const gcc = spawnSync('riscv64-unknown-elf-gcc', ['-nostdlib', '-nostartfiles', '-Wl,-Ttext=0x80000000', '-x', 'assembler', '-', '-o', elf],
          { input: '.globl _start\n_start: j _start\n' });
        expect(gcc.status, gcc.stderr.toString()).toBe(0);
        extra.push('-kernel', elf, '-append', c.bootargs);
      }
      const qemu = decompile(qemuDtb(c.ramMiB, extra, c.harts));
      const ours = decompile(await hindsightDtb(c.ramMiB, { ...(disk ? { disk } : {}), ...(c.bootargs !== undefined ? { bootargs: c.bootargs } : {}) }, c.harts));
      expect(parseDts(ours)).toEqual(withoutDocumentedDifferences(parseDts(qemu)));
      // The RAM size is the configured one (the comparison above covers it; this says where to look when it fails).
      expect(ours).toContain(`reg = <0x00 0x80000000 0x00 0x${(c.ramMiB * 1024 * 1024).toString(16)}>;`);
    });
  }

  it("gets the same warnings from dtc as QEMU's", async () => {
    const ours = dtc(await hindsightDtb(128, {})).warnings;
    expect(ours).toBe(dtc(qemuDtb(128, [])).warnings);
    // The one there is: QEMU's hart interrupt controller has no #address-cells (nor does Linux's binding ask for it).
    expect(ours).toMatch(/^\S+: Warning \(interrupt_provider\): \/cpus\/cpu@0\/interrupt-controller: Missing #address-cells in interrupt provider\n$/);
  });
});

describe('a bare-metal program finds the device tree at a1', () => {
  // Exit status 0 if a1 holds the magic 0xd00dfeed and version 17 (big-endian), a0 is hart 0 and
  // a1 is the ROM's address; otherwise the number of the failed check.
  const source = `
    .globl _start
    _start:
      li t6, 1
      bnez a0, fail
      li t6, 2
      li t0, 0x87e00000
      bne a1, t0, fail
      li t6, 3
      lbu t0, 0(a1); li t1, 0xd0; bne t0, t1, fail
      lbu t0, 1(a1); li t1, 0x0d; bne t0, t1, fail
      lbu t0, 2(a1); li t1, 0xfe; bne t0, t1, fail
      lbu t0, 3(a1); li t1, 0xed; bne t0, t1, fail
      li t6, 4
      lwu t0, 0(a1); li t1, 0xedfe0dd0; bne t0, t1, fail
      li t6, 5
      lwu t0, 20(a1); li t1, 0x11000000; bne t0, t1, fail
      li t0, 0x100000
      li t1, 0x5555
      sw t1, 0(t0)
    1: j 1b
    fail:
      slli t6, t6, 16
      li t1, 0x3333
      or t6, t6, t1
      li t0, 0x100000
      sw t6, 0(t0)
    2: j 2b
  `;
  let elf: string;
  beforeAll(() => {
    elf = join(dir, 'a1.elf');
    const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64', '-nostdlib', '-nostartfiles', '-Wl,-Ttext=0x80000000',
      '-Wl,-n', '-Wl,--no-warn-rwx-segments', '-x', 'assembler', '-', '-o', elf], { input: source });
    expect(r.status, r.stderr.toString()).toBe(0);
  });

  it('on QEMU', () => {
    const r = spawnSync(QEMU, ['-M', 'virt', '-bios', 'none', '-m', '128M', '-smp', '1', '-display', 'none', '-monitor', 'none',
      '-serial', 'none', '-kernel', elf], { timeout: 30_000 });
    expect(r.status, r.stderr.toString()).toBe(0);
  });

  it('on Hindsight', async () => {
    const m = await Machine.create(wasm, new BufferedInput(new Uint8Array()), { ramMiB: 128 });
    m.load(new Uint8Array(readFileSync(elf)));
    const stop = m.run(10_000n);
    expect(stop.reason).toBe('exit');
    expect(stop.exitCode).toBe(0);
  });
});
