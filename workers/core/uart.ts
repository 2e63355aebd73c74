// The virt board's NS16550A UART at 0x1000_0000, PLIC source 10.
//
// Transmission is instant: a byte written to THR goes to TX_BUFFER (drained by
// the engine) and THR is empty again at once. Received bytes wait in a FIFO
// filled by the engine between instructions (recorded input). Interrupts, on
// board revision 2: "received data available" while IER.ERBFI is set and the
// FIFO holds a byte; "THR empty" when IER.ETBEI is set, raised after each
// transmitted byte and when ETBEI is enabled, cleared by reading IIR while it
// is the identified interrupt or by writing THR, as QEMU's serial device does.
// Board revision 1 (recordings made before the PLIC existed) has no interrupts:
// IIR always reads "none pending" and FCR does not clear the FIFO.
import { TX_BUFFER, TX_CAPACITY, RX_BUFFER, RX_CAPACITY, DEVICE_STATE, IRQ_UART } from './layout';
import {
  uartIer, uartLcr, uartMcr, uartScr, uartDll, uartDlm, uartFcr, rxHead, rxCount, txLength,
  stopReason, STOP_OUTPUT_FULL, sliceEnd, boardRevision,
} from './state';
import { plicSetLevel } from './plic';

const IER_RX: u32 = 1;
const IER_THR: u32 = 2;
const IIR_NONE: u32 = 0x01;
const IIR_THR_EMPTY: u32 = 0x02;
const IIR_RX_DATA: u32 = 0x04;

/** 1 while the "THR empty" interrupt is pending (QEMU's thr_ipending). */
const THR_PENDING: usize = DEVICE_STATE + 0x200;
// (After the PLIC's block, which ends at PLIC_STATE_END.)

@inline function thrPending(): bool { return load<u32>(THR_PENDING) != 0; }
@inline function setThrPending(on: bool): void { store<u32>(THR_PENDING, on ? 1 : 0); }

/** The interrupt IIR identifies now (highest priority first). */
function identified(): u32 {
  if ((uartIer & IER_RX) != 0 && rxCount > 0) return IIR_RX_DATA;
  if ((uartIer & IER_THR) != 0 && thrPending()) return IIR_THR_EMPTY;
  return IIR_NONE;
}

/**
 * LSR reads since power-on: host bookkeeping, not machine state (never saved,
 * never read by the guest). The engine gives console input to a guest that
 * has looked at the line status since it was last given some.
 */
let statusReads: u32 = 0;
export function uartStatusReads(): u32 { return statusReads; }

/** Drives the UART's PLIC line from its interrupt state. */
export function uartUpdateIrq(): void {
  if (boardRevision < 2) return;
  plicSetLevel(IRQ_UART, identified() != IIR_NONE);
}

export function uartRead(off: u32): u32 {
  const dlab = (uartLcr & 0x80) != 0;
  switch (off) {
    case 0: {
      if (dlab) return uartDll;
      if (rxCount == 0) return 0;
      const b = <u32>load<u8>(RX_BUFFER + rxHead);
      rxHead = (rxHead + 1) & (RX_CAPACITY - 1);
      rxCount--;
      uartUpdateIrq();
      return b;
    }
    case 1: return dlab ? uartDlm : uartIer;
    case 2: {
      const fifo: u32 = (uartFcr & 1) != 0 ? 0xc0 : 0;
      if (boardRevision < 2) return fifo | IIR_NONE;
      const id = identified();
      if (id == IIR_THR_EMPTY) { setThrPending(false); uartUpdateIrq(); }
      return fifo | id;
    }
    case 3: return uartLcr;
    case 4: return uartMcr;
    case 5: statusReads++; return 0x60 | (rxCount > 0 ? 1 : 0);
    case 6: return 0xb0;
    case 7: return uartScr;
    default: return 0;
  }
}

export function uartWrite(off: u32, value: u32): void {
  const dlab = (uartLcr & 0x80) != 0;
  switch (off) {
    case 0:
      if (dlab) { uartDll = value; return; }
      store<u8>(TX_BUFFER + txLength, <u8>value);
      txLength++;
      if (txLength >= TX_CAPACITY) { stopReason = STOP_OUTPUT_FULL; sliceEnd = 0; }
      // Sent at once: THR is empty again.
      setThrPending(true);
      uartUpdateIrq();
      return;
    case 1: {
      if (dlab) { uartDlm = value; return; }
      const enabledThr = (value & IER_THR) != 0 && (uartIer & IER_THR) == 0;
      uartIer = value & 0x0f;
      if (enabledThr) setThrPending(true);
      uartUpdateIrq();
      return;
    }
    case 2:
      uartFcr = value & 0xc9;
      if (boardRevision >= 2 && (value & 2) != 0) { rxHead = 0; rxCount = 0; uartUpdateIrq(); }
      return;
    case 3: uartLcr = value; return;
    case 4: uartMcr = value & 0x1f; return;
    case 7: uartScr = value; return;
    default: return;
  }
}

/** Queues a byte for the guest to read from the UART; false if the FIFO is full. */
export function uartReceive(byte: u32): bool {
  if (rxCount >= RX_CAPACITY) return false;
  store<u8>(RX_BUFFER + ((rxHead + rxCount) & (RX_CAPACITY - 1)), <u8>byte);
  rxCount++;
  uartUpdateIrq();
  return true;
}
