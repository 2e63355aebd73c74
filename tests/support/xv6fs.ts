// Writes an xv6 file-system image: the on-disk format of xv6-riscv's
// kernel/fs.h (1024-byte blocks; boot block, superblock, log, inodes, free
// bitmap, data), holding a flat root directory of files. Our own writer, so
// tests need nothing from xv6 but its sources: a root directory with ".",
// ".." and the given files, as xv6's own image builder lays it out.

const BSIZE = 1024;
const FSMAGIC = 0x10203040;
const NDIRECT = 12;
const NINDIRECT = BSIZE / 4;
const DINODE_SIZE = 64;
const IPB = BSIZE / DINODE_SIZE;
const DIRENT_SIZE = 16;
const DIRSIZ = 14;
const ROOTINO = 1;
const T_DIR = 1;
const T_FILE = 2;

export interface Xv6FsOptions {
  /** Blocks in the image (xv6's FSSIZE). */
  size: number;
  /** Blocks of the on-disk log (xv6's LOGSIZE). */
  logBlocks: number;
  inodes: number;
}

export const XV6_DEFAULTS: Xv6FsOptions = { size: 2000, logBlocks: 30, inodes: 200 };

export function makeXv6Fs(files: { name: string; data: Uint8Array }[], options: Xv6FsOptions = XV6_DEFAULTS): Uint8Array {
  const { size, logBlocks, inodes } = options;
  const img = new Uint8Array(size * BSIZE);
  const view = new DataView(img.buffer);
  const bitmapBlocks = Math.floor(size / (BSIZE * 8)) + 1;
  const inodeBlocks = Math.floor(inodes / IPB) + 1;
  const logStart = 2;
  const inodeStart = logStart + logBlocks;
  const bmapStart = inodeStart + inodeBlocks;
  const meta = bmapStart + bitmapBlocks;

  const sb = BSIZE;
  [FSMAGIC, size, size - meta, inodes, logBlocks, logStart, inodeStart, bmapStart]
    .forEach((v, i) => view.setUint32(sb + i * 4, v, true));

  let nextInode = ROOTINO;
  let nextBlock = meta;
  const inodeAt = (inum: number): number => (inodeStart + Math.floor(inum / IPB)) * BSIZE + (inum % IPB) * DINODE_SIZE;

  const allocInode = (type: number): number => {
    const inum = nextInode++;
    if (inum >= inodes) throw new Error('xv6 image: out of inodes');
    const p = inodeAt(inum);
    view.setInt16(p, type, true);
    view.setInt16(p + 6, 1, true); // nlink
    return inum;
  };

  const blockOf = (inum: number, fileBlock: number): number => {
    const p = inodeAt(inum);
    if (fileBlock < NDIRECT) {
      let b = view.getUint32(p + 12 + fileBlock * 4, true);
      if (b === 0) { b = nextBlock++; view.setUint32(p + 12 + fileBlock * 4, b, true); }
      return b;
    }
    const k = fileBlock - NDIRECT;
    if (k >= NINDIRECT) throw new Error('xv6 image: file too large');
    let ind = view.getUint32(p + 12 + NDIRECT * 4, true);
    if (ind === 0) { ind = nextBlock++; view.setUint32(p + 12 + NDIRECT * 4, ind, true); }
    let b = view.getUint32(ind * BSIZE + k * 4, true);
    if (b === 0) { b = nextBlock++; view.setUint32(ind * BSIZE + k * 4, b, true); }
    return b;
  };

  const append = (inum: number, data: Uint8Array): void => {
    const p = inodeAt(inum);
    let off = view.getUint32(p + 8, true);
    let i = 0;
    while (i < data.length) {
      const b = blockOf(inum, Math.floor(off / BSIZE));
      if (nextBlock > size) throw new Error('xv6 image: out of blocks');
      const n = Math.min(data.length - i, BSIZE - (off % BSIZE));
      img.set(data.subarray(i, i + n), b * BSIZE + (off % BSIZE));
      off += n;
      i += n;
    }
    view.setUint32(p + 8, off, true);
  };

  const dirent = (inum: number, name: string): Uint8Array => {
    if (name.length > DIRSIZ) throw new Error(`xv6 image: name "${name}" is longer than ${DIRSIZ}`);
    const d = new Uint8Array(DIRENT_SIZE);
    new DataView(d.buffer).setUint16(0, inum, true);
    for (let i = 0; i < name.length; i++) d[2 + i] = name.charCodeAt(i);
    return d;
  };

  const root = allocInode(T_DIR);
  append(root, dirent(root, '.'));
  append(root, dirent(root, '..'));
  for (const f of files) {
    const inum = allocInode(T_FILE);
    append(root, dirent(inum, f.name));
    append(inum, f.data);
  }
  // The root directory's size is a whole number of blocks.
  const rootP = inodeAt(root);
  const rootSize = view.getUint32(rootP + 8, true);
  view.setUint32(rootP + 8, (Math.floor(rootSize / BSIZE) + 1) * BSIZE, true);
  blockOf(root, Math.floor(rootSize / BSIZE));

  // Every block up to the last one used is marked in the bitmap.
  if (nextBlock > BSIZE * 8) throw new Error('xv6 image: more used blocks than one bitmap block holds');
  for (let b = 0; b < nextBlock; b++) img[bmapStart * BSIZE + (b >> 3)] |= 1 << (b & 7);
  return img;
}
