// Snapshots as a qcow2 image (docs/qcow2.md): guest RAM is the disk, each
// snapshot an internal snapshot named after its icount, carrying the machine
// state as its VM state. Exported for qemu-img and for sharing; loaded back so
// that opening a recording does not need to replay it from the start.
import { Qcow2Writer, Qcow2Image, MemoryImageStore, Qcow2Error, type ImageStore } from '../formats/qcow2';
import { encodeVmState, decodeVmState, maxVmStateSize, VmStateError } from '../formats/vmstate';
import type { MachineState } from '../engine/machine';
import type { Snapshot } from './snapshots';
import type { Timeline } from './timeline';
import { PAGE_SIZE } from './digest';

export class SnapshotImageError extends Error {
  override name = 'SnapshotImageError';
}

export function snapshotName(icount: bigint): string {
  return `icount-${icount}`;
}

function vmStateOf(snap: Snapshot): Uint8Array {
  const s = snap.state;
  return encodeVmState({
    icount: snap.icount,
    registers: s.registers,
    core: s.core,
    semihosting: s.semihosting,
    exitCode: s.exited?.reason === 'exit' ? s.exited.exitCode ?? 0 : undefined,
  });
}

/**
 * Writes the timeline's snapshots (in icount order) as a qcow2 image into an
 * empty `store`, cluster by cluster: with a store backed by a file, the image
 * is never held in memory. Returns how many snapshots it holds.
 */
export function writeSnapshotImage(timeline: Timeline, store: ImageStore): number {
  const writer = Qcow2Writer.create(store, { diskSize: timeline.machine.pagedBytes, clusterBits: 12 });
  const createdAt = Math.floor(Date.parse(timeline.meta.createdAt) / 1000) || 0;
  // Only snapshots the log can vouch for (a digest at their icount): a reader checks each against it.
  const snaps = timeline.snapshots.list().filter((x) => x.icount === 0n || timeline.hasDigestAt(x.icount));
  for (const snap of snaps) {
    writer.addSnapshot({
      icount: snap.icount,
      name: snapshotName(snap.icount),
      dateSeconds: createdAt,
      vmState: vmStateOf(snap),
      changedClusters: snap.pages,
    });
  }
  return snaps.length;
}

/** The timeline's snapshots as one qcow2 image in memory (the browser's export). */
export function exportSnapshotImage(timeline: Timeline): Uint8Array {
  const store = new MemoryImageStore();
  writeSnapshotImage(timeline, store);
  return store.bytes().slice();
}

/** Reads the snapshots of an image as (icount, machine state, changed pages), in icount order. */
export function* readSnapshotImage(image: Uint8Array, pagedBytes: number, coreStateLength: number):
  Generator<{ icount: bigint; state: MachineState; pages: Map<number, Uint8Array> }> {
  let img: Qcow2Image;
  try {
    img = Qcow2Image.open(image);
  } catch (e) {
    if (e instanceof Qcow2Error) throw new SnapshotImageError(`snapshot image: ${e.message}`);
    throw e;
  }
  if (img.clusterSize !== PAGE_SIZE) throw new SnapshotImageError(`snapshot image: clusters of ${img.clusterSize} bytes, expected ${PAGE_SIZE}`);
  if (img.diskSize !== pagedBytes) throw new SnapshotImageError(`snapshot image: its disk is ${img.diskSize} bytes but the machine's RAM and disk take ${pagedBytes} bytes`);
  const snaps = img.snapshots();
  for (const s of snaps) {
    if (s.icount === undefined) throw new SnapshotImageError(`snapshot image: snapshot "${s.name}" has no icount`);
  }
  const sorted = [...snaps].sort((a, b) => (a.icount! < b.icount! ? -1 : a.icount! > b.icount! ? 1 : 0));
  let prev: (typeof sorted)[number] | undefined;
  for (const s of sorted) {
    if (prev && prev.icount === s.icount) throw new SnapshotImageError(`snapshot image: two snapshots at icount ${s.icount}`);
    // Checked before reading: qcow2 allows a VM state of up to 1 GiB, and reading one allocates all of it.
    const maxState = maxVmStateSize(coreStateLength);
    if (s.vmStateSize > maxState) {
      throw new SnapshotImageError(`snapshot image: "${s.name}": its VM state size ${s.vmStateSize} is larger than a machine state can be (${maxState} bytes)`);
    }
    let state: MachineState;
    try {
      const vm = decodeVmState(img.readVmState(s), coreStateLength);
      if (vm.icount !== s.icount) throw new SnapshotImageError(`snapshot image: "${s.name}" holds the state of icount ${vm.icount}, not ${s.icount}`);
      const pc = new DataView(vm.core.buffer, vm.core.byteOffset).getBigUint64(0, true);
      state = {
        core: vm.core, registers: vm.registers, semihosting: vm.semihosting,
        exited: vm.exitCode === undefined ? undefined : { reason: 'exit', icount: vm.icount, pc, exitCode: vm.exitCode },
      };
    } catch (e) {
      if (e instanceof VmStateError) throw new SnapshotImageError(`snapshot image: "${s.name}": ${e.message}`);
      throw e;
    }
    const pages = new Map<number, Uint8Array>();
    for (const c of img.changedClusters(prev, s)) pages.set(c, img.readDisk(s, c * PAGE_SIZE, PAGE_SIZE));
    yield { icount: s.icount!, state, pages };
    prev = s;
  }
}
