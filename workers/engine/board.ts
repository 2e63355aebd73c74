// QEMU's `virt` board as Hindsight models it (QEMU 7.2, hw/riscv/virt.c
// virt_memmap and create_fdt*): one table of the devices, from which the
// engine's memory map (memory-map.ts DEVICES, the ELF loader's overlap check,
// the UI), the device tree the mask ROM passes in a1 and docs/machine.md's
// memory-map table come. The AssemblyScript core keeps its own copy of the
// addresses (workers/core/layout.ts); workers/engine/board.test.ts checks the
// core against this table.
import { DeviceTree, type DtNode } from '../formats/dtb';

export const RAM_BASE = 0x8000_0000;
/** The hart's timebase: mtime ticks at 10 MHz (virt.c RISCV_ACLINT_DEFAULT_TIMEBASE_FREQ). */
export const TIMEBASE_FREQUENCY = 10_000_000;
/** The UART's input clock (virt.c: 3686400 Hz). */
export const UART_CLOCK_FREQUENCY = 3_686_400;
/** PLIC sources, counting the non-existent source 0 (virt.c VIRT_IRQCHIP_NUM_SOURCES): sources 1..95. */
export const PLIC_NUM_SOURCES = 96;
export const PLIC_NUM_PRIORITIES = 7;
export const VIRTIO_COUNT = 8;
/**
 * Bytes QEMU 7.2 reserves for the device tree at the address the ROM passes in
 * a1 (its FDT buffer, FDT_MAX_SIZE: riscv_load_fdt copies the whole buffer).
 * QEMU refuses to start when a loaded ELF segment overlaps it.
 */
export const DEVICE_TREE_REGION_BYTES = 0x10_0000;

/** Interrupt numbers of the hart-local interrupt controller (mip bits). */
const IRQ_M_SOFT = 3, IRQ_M_TIMER = 7, IRQ_S_EXT = 9, IRQ_M_EXT = 11;

/**
 * Phandles of the nodes others refer to, as QEMU numbers them: the harts are
 * made last to first, so hart h of N has cpu 2(N-1-h)+1 and its interrupt
 * controller the next number; then the PLIC and the test device.
 */
interface Phandles { cpu: number[]; intc: number[]; plic: number; test: number }

function phandlesFor(harts: number): Phandles {
  const cpu: number[] = [];
  const intc: number[] = [];
  for (let h = 0; h < harts; h++) { cpu.push(2 * (harts - 1 - h) + 1); intc.push(2 * (harts - 1 - h) + 2); }
  return { cpu, intc, plic: 2 * harts + 1, test: 2 * harts + 2 };
}

/** `interrupts-extended` cells: for each hart in order, its interrupt controller with each of `irqs`. */
const perHart = (ph: Phandles, ...irqs: number[]): number[] => ph.intc.flatMap((intc) => irqs.flatMap((irq) => [intc, irq]));

export interface BoardDevice {
  /** Short identifier (stable: tests and the UI key on it). */
  id: string;
  /** Human-readable name (the UI, error messages). */
  name: string;
  base: number;
  size: number;
  /** PLIC sources the device raises. */
  irqs: readonly number[];
  /** The first board revision (MachineConfig.boardRevision) that has it. */
  since: 1 | 2;
  /** Whether the UI's memory map shows it. */
  ui: boolean;
  /** What the docs' memory-map table says about it. */
  notes: string;
  /**
   * Its node under /soc, if it has one: the node name (the unit address is
   * the base), and the properties in the order QEMU's tree has them.
   * `order` is the order virt.c creates the node in; libfdt puts each new
   * node first, so the tree lists them the other way round.
   */
  dt?: { node: string; order: number; props: (n: DtNode, d: BoardDevice, ph: Phandles) => void };
}

const reg = (n: DtNode, d: BoardDevice) => n.u64('reg', d.base, d.size);
const plicIrq = (n: DtNode, d: BoardDevice, ph: Phandles) => n.u32('interrupts', ...d.irqs).u32('interrupt-parent', ph.plic);

const virtio = (i: number): BoardDevice => ({
  id: `virtio${i}`, name: `virtio-mmio ${i}`, base: 0x1000_1000 + 0x1000 * i, size: 0x1000, irqs: [1 + i], since: 2, ui: i === 0,
  notes: i === 0 ? `virtio-mmio transports 0..7, 0x1000 apart, PLIC sources 1..8; transport 0 (virtio-mmio-bus.0) holds a virtio-blk device when the machine has a disk, the others are empty (device ID 0) (board revision 2)` : '',
  dt: {
    node: 'virtio_mmio', order: 2 + i,
    props: (n, d, ph) => { plicIrq(n, d, ph); reg(n, d); n.string('compatible', 'virtio,mmio'); },
  },
});

/** The devices, by address. RAM follows at RAM_BASE. */
export const BOARD: readonly BoardDevice[] = [
  {
    id: 'mrom', name: 'mask ROM', base: 0x1000, size: 0xf000, irqs: [], since: 1, ui: true,
    notes: 'reset stub + fw_dynamic_info; writes ignored',
  },
  {
    id: 'test', name: 'test finisher', base: 0x10_0000, size: 0x1000, irqs: [], since: 1, ui: true,
    notes: 'sifive_test: 32-bit write at +0: 0x5555 power off (status 0); `code<<16 \\| 0x3333` exit with `code`',
    dt: {
      node: 'test', order: 11,
      props: (n, d, ph) => { n.phandle(ph.test); reg(n, d); n.strings('compatible', ['sifive,test1', 'sifive,test0', 'syscon']); },
    },
  },
  {
    id: 'clint', name: 'CLINT', base: 0x200_0000, size: 0x1_0000, irqs: [], since: 1, ui: true,
    notes: 'msip +4h, mtimecmp +0x4000+8h (hart h), mtime +0xbff8',
    dt: {
      node: 'clint', order: 0,
      props: (n, d, ph) => {
        n.u32('interrupts-extended', ...perHart(ph, IRQ_M_SOFT, IRQ_M_TIMER));
        reg(n, d);
        n.strings('compatible', ['sifive,clint0', 'riscv,clint0']);
      },
    },
  },
  {
    id: 'plic', name: 'PLIC', base: 0xc00_0000, size: 0x60_0000, irqs: [], since: 2, ui: true,
    notes: `sources 1..${PLIC_NUM_SOURCES - 1}, priorities 0..${PLIC_NUM_PRIORITIES}; context 2h = hart h M, 2h+1 = hart h S (board revision 2)`,
    dt: {
      node: 'plic', order: 1,
      props: (n, d, ph) => {
        n.phandle(ph.plic);
        // QEMU 7.2 writes VIRT_IRQCHIP_NUM_SOURCES (96) here, though the highest source is 95.
        n.u32('riscv,ndev', PLIC_NUM_SOURCES);
        reg(n, d);
        n.u32('interrupts-extended', ...perHart(ph, IRQ_M_EXT, IRQ_S_EXT));
        n.empty('interrupt-controller');
        n.strings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
        n.u32('#address-cells', 0);
        n.u32('#interrupt-cells', 1);
      },
    },
  },
  {
    id: 'uart', name: 'UART', base: 0x1000_0000, size: 0x100, irqs: [10], since: 1, ui: true,
    notes: 'NS16550A: THR/RBR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR, divisor latch; PLIC source 10 (board revision 2)',
    dt: {
      node: 'serial', order: 12,
      props: (n, d, ph) => {
        plicIrq(n, d, ph);
        n.u32('clock-frequency', UART_CLOCK_FREQUENCY);
        reg(n, d);
        n.string('compatible', 'ns16550a');
      },
    },
  },
  ...Array.from({ length: VIRTIO_COUNT }, (_, i) => virtio(i)),
];

/** The devices of board revision `revision`. */
export function boardDevices(revision: 1 | 2): BoardDevice[] {
  return BOARD.filter((d) => d.since <= revision);
}

/**
 * Where QEMU 7.2 puts the device tree, and passes its address in a1
 * (riscv_load_fdt): the 1 MiB FDT buffer below min(RAM end, 0xC000_0000),
 * aligned down to 2 MiB.
 */
export function deviceTreeAddress(ramBytes: number): number {
  const top = Math.min(RAM_BASE + ramBytes, 0xc000_0000);
  return Math.floor((top - DEVICE_TREE_REGION_BYTES) / 0x20_0000) * 0x20_0000;
}

export interface DeviceTreeConfig {
  ramBytes: number;
  /** /chosen bootargs (QEMU's -append); none if absent. */
  bootargs?: string;
  /** Harts (QEMU's -smp), 1 if absent. */
  harts?: number;
}

/** The ISA string of hart 0: what Hindsight implements, spelled as QEMU 7.2 spells its own. */
export const RISCV_ISA = 'rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc';

/**
 * The device tree of the machine (board revision 2), as QEMU 7.2's
 * `-machine virt -bios none -smp N` builds it, less what Hindsight does not
 * model (see docs/machine.md, "Device tree"). Nodes, properties, their order
 * and the phandle numbers are QEMU's.
 */
export function buildDeviceTree(config: DeviceTreeConfig): DeviceTree {
  const tree = new DeviceTree();
  const harts = config.harts ?? 1;
  const ph = phandlesFor(harts);
  const root = tree.root
    .u32('#address-cells', 2)
    .u32('#size-cells', 2)
    .string('compatible', 'riscv-virtio')
    .string('model', 'riscv-virtio,qemu');

  const chosen = root.child('chosen');
  if (config.bootargs !== undefined) chosen.string('bootargs', config.bootargs);
  const uart = BOARD.find((d) => d.id === 'uart') as BoardDevice;
  chosen.string('stdout-path', `/soc/${uart.dt?.node}@${uart.base.toString(16)}`);

  root.child('poweroff').u32('value', 0x5555).u32('offset', 0).u32('regmap', ph.test).string('compatible', 'syscon-poweroff');

  root.child(`memory@${RAM_BASE.toString(16)}`).string('device_type', 'memory').u64('reg', RAM_BASE, config.ramBytes);

  const cpus = root.child('cpus').u32('#address-cells', 1).u32('#size-cells', 0).u32('timebase-frequency', TIMEBASE_FREQUENCY);
  for (let h = 0; h < harts; h++) {
    const cpu = cpus.child(`cpu@${h}`).phandle(ph.cpu[h]).string('device_type', 'cpu').u32('reg', h).string('status', 'okay')
      .string('compatible', 'riscv').string('riscv,isa', RISCV_ISA).string('mmu-type', 'riscv,sv48');
    cpu.child('interrupt-controller').u32('#interrupt-cells', 1).empty('interrupt-controller')
      .string('compatible', 'riscv,cpu-intc').phandle(ph.intc[h]);
  }
  const cluster = cpus.child('cpu-map').child('cluster0');
  for (let h = 0; h < harts; h++) cluster.child(`core${h}`).u32('cpu', ph.cpu[h]);

  const soc = root.child('soc').u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'simple-bus').empty('ranges');
  const nodes = BOARD.filter((d) => d.dt).sort((a, b) => (b.dt?.order ?? 0) - (a.dt?.order ?? 0));
  for (const d of nodes) {
    const dt = d.dt as NonNullable<BoardDevice['dt']>;
    dt.props(soc.child(`${dt.node}@${d.base.toString(16)}`), d, ph);
  }
  return tree;
}

/** docs/machine.md's memory-map table, from BOARD (board.test.ts checks the docs hold it). */
export function memoryMapMarkdown(): string {
  const hex = (v: number) => {
    const h = v.toString(16).padStart(8, '0');
    return `0x${h.slice(0, 4)}_${h.slice(4)}`;
  };
  const size = (v: number) => `0x${v.toString(16).replace(/(?=(?:[0-9a-f]{4})+$)(?<=.)/g, '_')}`;
  const rows = ['| region | base | size | notes |', '| --- | --- | --- | --- |'];
  for (const d of BOARD) {
    if (d.id.startsWith('virtio') && d.id !== 'virtio0') continue;
    const sz = d.id === 'virtio0' ? `8 × ${size(d.size)}` : size(d.size);
    const name = d.id === 'virtio0' ? 'virtio-mmio 0..7' : d.name;
    rows.push(`| ${name} | ${hex(d.base)} | ${sz} | ${d.notes} |`);
  }
  rows.push(`| RAM | ${hex(RAM_BASE)} | 128 MiB (1..2048) | the device tree at the address the ROM passes in a1 (see Boot) |`);
  return rows.join('\n');
}
