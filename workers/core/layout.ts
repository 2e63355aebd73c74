// Offsets of everything the core keeps in wasm linear memory. The engine reads
// these through the exported constants of index.ts, never by hard-coding them.

/** x0..x31, 8 bytes each. x0 is rewritten to zero after every instruction. */
export const REGS: usize = 0x0000;
/** f0..f31, 8 bytes each, as raw bits (single-precision values NaN-boxed). */
export const FREGS: usize = 0x0100;
/** The register file the engine saves, restores and digests as one block: x0..x31 then f0..f31. */
export const REGISTER_FILE_BYTES: u32 = 0x200;
/** Details of the last watchpoint hit. */
export const WATCH_HIT: usize = 0x1000;
/**
 * Virtual pages that hold a breakpoint: a bitmap indexed by a hash of the page
 * number (a collision only costs speed). Translated code does not run in them,
 * so it needs no per-instruction breakpoint check (cpu.ts).
 */
export const BREAKPOINT_PAGES: usize = 0x1800;
export const BREAKPOINT_PAGE_BITS: u32 = 4096;
/** Guest bytes written to the UART, drained by the engine after each run(). */
export const TX_BUFFER: usize = 0x2000;
export const TX_CAPACITY: u32 = 0x8000;
/** Bytes waiting in the UART receive FIFO (a ring). */
export const RX_BUFFER: usize = 0xa000;
export const RX_CAPACITY: u32 = 0x1000;
/** Breakpoint addresses: an open-addressing hash set of u64. */
export const BREAKPOINTS: usize = 0xb000;
export const BREAKPOINT_SLOTS: u32 = 1024;
/** Watchpoints: {lo: u64, hi: u64 (exclusive), kinds: u64}. */
export const WATCHPOINTS: usize = 0xd000;
export const WATCHPOINT_SLOTS: u32 = 64;
export const WATCHPOINT_SIZE: u32 = 24;
/** Mask ROM at guest 0x1000 (reset vector), as on QEMU's virt board. */
export const MROM: usize = 0x10000;
export const MROM_SIZE: u32 = 0xf000;
/** Expansion of every 16-bit compressed instruction to its 32-bit equivalent (0: illegal). */
export const COMPRESSED_TABLE: usize = 0x20000;
/** One byte per 4 KiB RAM page: 1 if written since the engine last cleared it. */
export const DIRTY_PAGES: usize = 0x60000;
export const DIRTY_CAPACITY: u32 = 0x80000;
/** PMP configuration: 16 cfg bytes, then 16 u64 addresses. */
export const PMP: usize = 0xd800;
/**
 * Registers of the devices added with board revision 2 (PLIC, the UART's
 * interrupt state, virtio-mmio), kept here rather than in globals so that
 * saveState copies them as one block. Offsets within it are in each device's file.
 */
export const DEVICE_STATE: usize = 0xe000;
export const DEVICE_STATE_SIZE: u32 = 0x400;
/** Scratch space the engine may use to pass data in and out. */
export const SCRATCH: usize = 0xe0000;
export const SCRATCH_SIZE: u32 = 0xc000;
/** The TLB: fetch, load and store arrays of TLB_ENTRIES {tag: u64, addend: u64} (mmu.ts). */
export const TLB: usize = 0xec000;
export const TLB_ENTRIES: u32 = 256;
/** Machine state serialised by saveState()/loadState() (registers excluded). */
export const STATE: usize = 0xf0000;
export const STATE_CAPACITY: u32 = 0x8000;
/** Every hart's state while another runs (harts.ts): MAX_HARTS slots of HART_CONTEXT_SIZE bytes. */
export const HART_CONTEXTS: usize = 0xf8000;
export const HART_CONTEXT_SIZE: u32 = 0x400;
export const MAX_HARTS: u32 = 8;
/** The scheduler's switches since the engine last drained them: {icount: u64, hart: u64} (harts.ts). */
export const SCHEDULE_LOG: usize = 0xfa000;
export const SCHEDULE_LOG_ENTRIES: u32 = 0x400;
/** The PLIC's enable words and thresholds of contexts 2 and up (harts 1..7; plic.ts). */
export const PLIC_EXTRA: usize = 0xfe000;
export const PLIC_EXTRA_SIZE: u32 = 0x100;
/**
 * 0xff000..0x100000 holds the compiler's own static data (asconfig.json
 * memoryBase). The core allocates nothing at run time: everything it keeps
 * lives at the fixed offsets above.
 */
export const COMPILER_DATA: usize = 0xff000;
/**
 * Guest RAM (guest physical 0x8000_0000), then the virtio disk's contents (if
 * the machine has a disk), then the executed-code map. The dirty-page map
 * covers RAM and disk as one run of pages, so snapshots hold both.
 */
export const RAM: usize = 0x100000;

/** Executed-code map: one byte per 64-byte block of RAM, after RAM and disk (its place depends on their sizes). */
export const EXEC_BLOCK_SHIFT: u32 = 6;

export const RAM_BASE: u64 = 0x80000000;
export const MROM_BASE: u64 = 0x1000;
export const TEST_BASE: u64 = 0x100000;
export const CLINT_BASE: u64 = 0x2000000;
export const CLINT_SIZE: u64 = 0x10000;
export const UART_BASE: u64 = 0x10000000;
export const UART_SIZE: u64 = 0x100;
export const PLIC_BASE: u64 = 0xc000000;
export const PLIC_SIZE: u64 = 0x600000;
/** Eight virtio-mmio transports, 0x1000 apart; the disk is on the first (virtio-mmio-bus.0). */
export const VIRTIO_BASE: u64 = 0x10001000;
export const VIRTIO_SLOT_SIZE: u64 = 0x1000;
export const VIRTIO_SLOTS: u64 = 8;
/** PLIC sources: the UART is 10, virtio-mmio transport i is 1 + i (QEMU virt). */
export const IRQ_UART: u32 = 10;
export const IRQ_VIRTIO0: u32 = 1;
export const PAGE_SHIFT: u32 = 12;
