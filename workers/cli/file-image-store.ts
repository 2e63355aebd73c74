// A qcow2 ImageStore backed by a file (docs/qcow2.md): the exporter writes
// clusters straight to disk, so an image as large as the guest's RAM is
// never held in memory.
import { openSync, readSync, writeSync, closeSync, fstatSync } from 'node:fs';
import type { ImageStore } from '../formats/qcow2';

export class FileImageStore implements ImageStore {
  private fd: number | undefined;
  private length: number;

  /** Opens `path` for writing, emptied ('w+'), or as it is ('r+'). */
  constructor(readonly path: string, mode: 'w+' | 'r+' = 'w+') {
    this.fd = openSync(path, mode);
    this.length = fstatSync(this.fd).size;
  }

  get size(): number {
    return this.length;
  }

  read(offset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.length) {
      throw new RangeError(`FileImageStore: read of ${length} bytes at ${offset} is outside the file (${this.length} bytes)`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.open(), out, done, length - done, offset + done);
      if (n === 0) throw new Error(`FileImageStore: ${this.path} ended at ${offset + done} bytes`);
      done += n;
    }
    return out;
  }

  write(offset: number, bytes: Uint8Array): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`FileImageStore: bad write offset ${offset}`);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.open(), bytes, done, bytes.length - done, offset + done);
    // A write past the end leaves a hole, which reads as zeros, as the codec expects.
    if (offset + bytes.length > this.length) this.length = offset + bytes.length;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd === undefined) throw new Error(`FileImageStore: ${this.path} is closed`);
    return this.fd;
  }
}
