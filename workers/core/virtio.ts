// The virt board's eight virtio-mmio transports (virtio 1.x, register layout
// version 2, "modern" only) at 0x1000_1000 + 0x1000 × i, PLIC source 1 + i.
// Transport 0 (virtio-mmio-bus.0) holds a virtio block device when the
// machine has a disk; the others are empty (device ID 0), as on QEMU's board
// with one `-device virtio-blk-device,bus=virtio-mmio-bus.0`.
//
// The block device has one split virtqueue and completes every request
// synchronously, during the store to QueueNotify: the disk's contents live in
// linear memory right after RAM (offsets ramSize.. in the dirty-page map), so
// requests are as deterministic as the instructions that make them, and
// snapshots hold the disk with RAM. Offered features: VERSION_1, SEG_MAX,
// BLK_SIZE and FLUSH; requests IN, OUT, FLUSH and GET_ID (others: UNSUPP).
// A driver that points the device at memory outside RAM, or hands it a
// malformed descriptor chain, puts the device in DEVICE_NEEDS_RESET, as
// QEMU's virtio_error does.
import { RAM, RAM_BASE, DEVICE_STATE, IRQ_VIRTIO0, VIRTIO_SLOT_SIZE } from './layout';
import { ramSize, diskSize, boardRevision } from './state';
import { plicSetLevel } from './plic';
import { markDirtyRange } from './bus';

const MAGIC: u32 = 0x74726976; // "virt"
const VENDOR_QEMU: u32 = 0x554d4551;
const DEVICE_BLOCK: u32 = 2;
const QUEUE_SIZE_MAX: u32 = 256;
const SECTOR: u64 = 512;

const FEATURE_SEG_MAX: u64 = 1 << 2;
const FEATURE_BLK_SIZE: u64 = 1 << 6;
const FEATURE_FLUSH: u64 = 1 << 9;
const FEATURE_VERSION_1: u64 = <u64>1 << 32;
const DEVICE_FEATURES: u64 = FEATURE_VERSION_1 | FEATURE_SEG_MAX | FEATURE_BLK_SIZE | FEATURE_FLUSH;
/** Segments per request the driver may use (config seg_max): one descriptor chain never exceeds the queue. */
const SEG_MAX: u32 = QUEUE_SIZE_MAX - 2;

const STATUS_FEATURES_OK: u32 = 8;
const STATUS_DRIVER_OK: u32 = 4;
const STATUS_NEEDS_RESET: u32 = 0x40;

const INT_USED_BUFFER: u32 = 1;
const INT_CONFIG_CHANGE: u32 = 2;

const DESC_NEXT: u32 = 1;
const DESC_WRITE: u32 = 2;
const DESC_INDIRECT: u32 = 4;

const REQ_IN: u32 = 0;
const REQ_OUT: u32 = 1;
const REQ_FLUSH: u32 = 4;
const REQ_GET_ID: u32 = 8;
const BLK_S_OK: u8 = 0;
const BLK_S_IOERR: u8 = 1;
const BLK_S_UNSUPP: u8 = 2;

// The block device's registers, in DEVICE_STATE (after the PLIC's and the UART's).
const V: usize = DEVICE_STATE + 0x300;
const STATUS: usize = V;
const DEVICE_FEATURES_SEL: usize = V + 0x04;
const DRIVER_FEATURES_SEL: usize = V + 0x08;
const QUEUE_SEL: usize = V + 0x0c;
const DRIVER_FEATURES: usize = V + 0x10; // u64
const QUEUE_NUM: usize = V + 0x18;
const QUEUE_READY: usize = V + 0x1c;
const QUEUE_DESC: usize = V + 0x20; // u64
const QUEUE_AVAIL: usize = V + 0x28; // u64
const QUEUE_USED: usize = V + 0x30; // u64
const LAST_AVAIL: usize = V + 0x38;
const INTERRUPT_STATUS: usize = V + 0x3c;
const V_END: usize = V + 0x40;

/** The disk's bytes in linear memory (right after RAM). */
@inline function diskBase(): usize { return RAM + <usize>ramSize; }

@inline function hasDisk(slot: u64): bool { return slot == 0 && diskSize != 0 && boardRevision >= 2; }

/** Puts the block device in its reset state (the driver wrote 0 to Status, or power-on). */
export function virtioReset(): void {
  memory.fill(V, 0, V_END - V);
  plicSetLevel(IRQ_VIRTIO0, false);
}

function updateIrq(): void {
  plicSetLevel(IRQ_VIRTIO0, load<u32>(INTERRUPT_STATUS) != 0);
}

export function virtioRead(addr: u64, size: u64): u32 {
  const slot = addr / VIRTIO_SLOT_SIZE;
  const off = addr % VIRTIO_SLOT_SIZE;
  if (off >= 0x100) {
    if (!hasDisk(slot)) return 0;
    return configRead(off - 0x100, size);
  }
  if (size != 4) return 0; // QEMU's transport ignores other sizes for its registers
  switch (<u32>off) {
    case 0x000: return MAGIC;
    case 0x004: return 2;
    case 0x008: return hasDisk(slot) ? DEVICE_BLOCK : 0;
    case 0x00c: return VENDOR_QEMU;
  }
  if (!hasDisk(slot)) return 0;
  switch (<u32>off) {
    case 0x010: {
      const sel = load<u32>(DEVICE_FEATURES_SEL);
      return sel == 0 ? <u32>DEVICE_FEATURES : sel == 1 ? <u32>(DEVICE_FEATURES >> 32) : 0;
    }
    case 0x034: return load<u32>(QUEUE_SEL) == 0 ? QUEUE_SIZE_MAX : 0;
    case 0x038: return load<u32>(QUEUE_SEL) == 0 ? load<u32>(QUEUE_NUM) : 0;
    case 0x044: return load<u32>(QUEUE_SEL) == 0 ? load<u32>(QUEUE_READY) : 0;
    case 0x060: return load<u32>(INTERRUPT_STATUS);
    case 0x070: return load<u32>(STATUS);
    case 0x080: return <u32>load<u64>(QUEUE_DESC);
    case 0x084: return <u32>(load<u64>(QUEUE_DESC) >> 32);
    case 0x090: return <u32>load<u64>(QUEUE_AVAIL);
    case 0x094: return <u32>(load<u64>(QUEUE_AVAIL) >> 32);
    case 0x0a0: return <u32>load<u64>(QUEUE_USED);
    case 0x0a4: return <u32>(load<u64>(QUEUE_USED) >> 32);
    case 0x0fc: return 0; // ConfigGeneration: the configuration never changes
    default: return 0;
  }
}

/** virtio_blk_config: capacity (sectors), size_max, seg_max, geometry, blk_size. */
function configRead(off: u64, size: u64): u32 {
  let v: u64 = 0;
  for (let i: u64 = 0; i < size; i++) v |= <u64>configByte(off + i) << (i * 8);
  return <u32>v;
}

function configByte(off: u64): u32 {
  let field: u64 = 0;
  let base: u64 = 0;
  if (off < 8) { field = diskSize / SECTOR; base = 0; }
  else if (off >= 0x0c && off < 0x10) { field = SEG_MAX; base = 0x0c; }
  else if (off >= 0x14 && off < 0x18) { field = SECTOR; base = 0x14; }
  else return 0;
  return <u32>((field >> ((off - base) * 8)) & 0xff);
}

export function virtioWrite(addr: u64, size: u64, value: u32): void {
  const slot = addr / VIRTIO_SLOT_SIZE;
  const off = addr % VIRTIO_SLOT_SIZE;
  if (!hasDisk(slot) || size != 4 || off >= 0x100) return; // config space is read-only here
  const queue0 = load<u32>(QUEUE_SEL) == 0;
  switch (<u32>off) {
    case 0x014: store<u32>(DEVICE_FEATURES_SEL, value); return;
    case 0x020: {
      const sel = load<u32>(DRIVER_FEATURES_SEL);
      const old = load<u64>(DRIVER_FEATURES);
      if (sel == 0) store<u64>(DRIVER_FEATURES, (old & 0xffffffff00000000) | <u64>value);
      else if (sel == 1) store<u64>(DRIVER_FEATURES, (old & 0xffffffff) | (<u64>value << 32));
      return;
    }
    case 0x024: store<u32>(DRIVER_FEATURES_SEL, value); return;
    case 0x030: store<u32>(QUEUE_SEL, value); return;
    case 0x038: if (queue0) store<u32>(QUEUE_NUM, value); return;
    case 0x044: if (queue0) store<u32>(QUEUE_READY, value & 1); return;
    case 0x050: if (value == 0) processQueue(); return;
    case 0x064: {
      store<u32>(INTERRUPT_STATUS, load<u32>(INTERRUPT_STATUS) & ~value);
      updateIrq();
      return;
    }
    case 0x070: writeStatus(value); return;
    case 0x080: if (queue0) setLow(QUEUE_DESC, value); return;
    case 0x084: if (queue0) setHigh(QUEUE_DESC, value); return;
    case 0x090: if (queue0) setLow(QUEUE_AVAIL, value); return;
    case 0x094: if (queue0) setHigh(QUEUE_AVAIL, value); return;
    case 0x0a0: if (queue0) setLow(QUEUE_USED, value); return;
    case 0x0a4: if (queue0) setHigh(QUEUE_USED, value); return;
    default: return;
  }
}

@inline function setLow(p: usize, v: u32): void { store<u64>(p, (load<u64>(p) & 0xffffffff00000000) | <u64>v); }
@inline function setHigh(p: usize, v: u32): void { store<u64>(p, (load<u64>(p) & 0xffffffff) | (<u64>v << 32)); }

function writeStatus(value: u32): void {
  if (value == 0) { virtioReset(); return; }
  let v = value;
  // FEATURES_OK sticks only if the driver accepted a subset of what is offered. (Like
  // QEMU, a driver that leaves VERSION_1 out is accepted: xv6's does.)
  if ((v & STATUS_FEATURES_OK) != 0 && (load<u64>(DRIVER_FEATURES) & ~DEVICE_FEATURES) != 0) v &= ~STATUS_FEATURES_OK;
  store<u32>(STATUS, v | (load<u32>(STATUS) & STATUS_NEEDS_RESET));
}

/** The driver broke the protocol: stop using the queue until it resets the device. */
function deviceError(): void {
  store<u32>(STATUS, load<u32>(STATUS) | STATUS_NEEDS_RESET);
  store<u32>(INTERRUPT_STATUS, load<u32>(INTERRUPT_STATUS) | INT_CONFIG_CHANGE);
  updateIrq();
}

/** Linear-memory offset of guest-physical [addr, addr + len) if it is all in RAM, else -1. */
function ramAt(addr: u64, len: u64): i64 {
  const off = addr - RAM_BASE;
  if (off >= ramSize || len > ramSize - off) return -1;
  return <i64>off;
}

// ---- one request: a descriptor chain seen as a readable stream then a writable stream ----

let chainHead: u32 = 0;
let descTable: u64 = 0;
let queueSize: u32 = 0;
/** Bytes in the chain's device-readable and device-writable parts (set by walkChain). */
let readableBytes: u64 = 0;
let writableBytes: u64 = 0;

/** Checks the chain at chainHead: bounded, in RAM, readable part before writable. False if malformed. */
function walkChain(): bool {
  readableBytes = 0;
  writableBytes = 0;
  let index = chainHead;
  for (let n: u32 = 0; n < queueSize; n++) {
    if (index >= queueSize) return false;
    const d = ramAt(descTable + (<u64>index << 4), 16);
    if (d < 0) return false;
    const p = RAM + <usize>d;
    const addr = load<u64>(p);
    const len = <u64>load<u32>(p, 8);
    const flags = <u32>load<u16>(p, 12);
    if ((flags & DESC_INDIRECT) != 0) return false; // not offered
    if (ramAt(addr, len) < 0) return false;
    if ((flags & DESC_WRITE) != 0) writableBytes += len;
    else if (writableBytes != 0) return false;
    else readableBytes += len;
    if ((flags & DESC_NEXT) == 0) return true;
    index = <u32>load<u16>(p, 14);
  }
  return false; // a loop
}

/**
 * Copies `len` bytes between the chain and linear memory at `host`, starting
 * `offset` bytes into the chain's readable (writable = false) or writable part.
 * Guest pages written are marked dirty.
 */
function chainCopy(writable: bool, offset: u64, host: usize, len: u64): void {
  let index = chainHead;
  let skip = offset;
  let remaining = len;
  let h = host;
  for (let n: u32 = 0; n < queueSize && remaining != 0; n++) {
    const p = RAM + <usize>(descTable - RAM_BASE + (<u64>index << 4));
    const addr = load<u64>(p);
    const dlen = <u64>load<u32>(p, 8);
    const flags = <u32>load<u16>(p, 12);
    if (((flags & DESC_WRITE) != 0) == writable) {
      if (skip >= dlen) {
        skip -= dlen;
      } else {
        const chunk = min<u64>(dlen - skip, remaining);
        const guestOff = addr - RAM_BASE + skip;
        if (writable) {
          memory.copy(RAM + <usize>guestOff, h, <usize>chunk);
          markDirtyRange(guestOff, chunk);
        } else {
          memory.copy(h, RAM + <usize>guestOff, <usize>chunk);
        }
        h += <usize>chunk;
        remaining -= chunk;
        skip = 0;
      }
    }
    if ((flags & DESC_NEXT) == 0) break;
    index = <u32>load<u16>(p, 14);
  }
}

/** A scratch word for headers and status bytes (inside the device block, not saved meaningfully). */
const BOUNCE: usize = DEVICE_STATE + 0x380;
const ID_STRING = 'hindsight-disk';

/** Carries out the request at chainHead; returns the bytes written to the writable part. */
function serve(): u64 {
  if (readableBytes < 16 || writableBytes < 1) return NEVER_LEN;
  chainCopy(false, 0, BOUNCE, 16);
  const type = load<u32>(BOUNCE);
  const sector = load<u64>(BOUNCE, 8);
  let status = BLK_S_OK;
  let written: u64 = 0;
  const disk = diskBase();
  if (type == REQ_IN || type == REQ_OUT) {
    const len = type == REQ_IN ? writableBytes - 1 : readableBytes - 16;
    const start = sector * SECTOR;
    if (len % SECTOR != 0 || sector > diskSize / SECTOR || len > diskSize - start) {
      status = BLK_S_IOERR;
    } else if (type == REQ_IN) {
      chainCopy(true, 0, disk + <usize>start, len);
      written = len;
    } else {
      chainCopy(false, 16, disk + <usize>start, len);
      if (len != 0) markDirtyRange(ramSize + start, len);
    }
  } else if (type == REQ_FLUSH) {
    status = BLK_S_OK;
  } else if (type == REQ_GET_ID) {
    // Up to 20 bytes, NUL-padded when shorter.
    const len = min<u64>(20, writableBytes - 1);
    memory.fill(BOUNCE, 0, 20);
    for (let i = 0; i < ID_STRING.length; i++) store<u8>(BOUNCE + <usize>i, <u8>ID_STRING.charCodeAt(i));
    chainCopy(true, 0, BOUNCE, len);
    written = len;
  } else {
    status = BLK_S_UNSUPP;
  }
  store<u8>(BOUNCE, status);
  chainCopy(true, writableBytes - 1, BOUNCE, 1);
  return written + 1;
}

const NEVER_LEN: u64 = 0xffffffffffffffff;

/** QueueNotify: serves every request the driver has made available since the last one. */
function processQueue(): void {
  const status = load<u32>(STATUS);
  if ((status & STATUS_DRIVER_OK) == 0 || (status & STATUS_NEEDS_RESET) != 0 || load<u32>(QUEUE_READY) == 0) return;
  queueSize = load<u32>(QUEUE_NUM);
  descTable = load<u64>(QUEUE_DESC);
  const availAddr = load<u64>(QUEUE_AVAIL);
  const usedAddr = load<u64>(QUEUE_USED);
  if (queueSize == 0 || queueSize > QUEUE_SIZE_MAX) { deviceError(); return; }
  const q = <u64>queueSize;
  const avail = ramAt(availAddr, 6 + 2 * q);
  const used = ramAt(usedAddr, 6 + 8 * q);
  if (avail < 0 || used < 0 || ramAt(descTable, 16 * q) < 0) { deviceError(); return; }
  const availP = RAM + <usize>avail;
  const usedP = RAM + <usize>used;
  let served: u32 = 0;
  let last = load<u32>(LAST_AVAIL) & 0xffff;
  const availIdx = <u32>load<u16>(availP, 2);
  // The driver cannot have more than a queue's worth outstanding.
  if (((availIdx - last) & 0xffff) > queueSize) { deviceError(); return; }
  while (last != availIdx) {
    chainHead = <u32>load<u16>(availP + 4 + <usize>((last % queueSize) << 1));
    if (!walkChain()) { deviceError(); break; }
    const written = serve();
    if (written == NEVER_LEN) { deviceError(); break; }
    const usedIdx = <u32>load<u16>(usedP, 2);
    const elem = usedP + 4 + <usize>((usedIdx % queueSize) << 3);
    store<u32>(elem, chainHead);
    store<u32>(elem, <u32>written, 4);
    store<u16>(usedP, <u16>(usedIdx + 1), 2);
    markDirtyRange(<u64>used, 6 + 8 * q);
    last = (last + 1) & 0xffff;
    served++;
  }
  store<u32>(LAST_AVAIL, last);
  // VIRTQ_AVAIL_F_NO_INTERRUPT: the driver asked not to be interrupted.
  if (served != 0 && (load<u16>(availP) & 1) == 0) {
    store<u32>(INTERRUPT_STATUS, load<u32>(INTERRUPT_STATUS) | INT_USED_BUFFER);
    updateIrq();
  }
}
