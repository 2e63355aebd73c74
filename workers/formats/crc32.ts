/**
 * CRC-32 as used by zlib, gzip and PNG (IEEE 802.3: reflected polynomial
 * 0xEDB88320, initial value and final XOR 0xFFFFFFFF).
 *
 * Pure code: no I/O, no Node APIs. Uses slicing-by-8 tables so that large
 * chunks (program images, snapshots) are checked at a few hundred MB/s.
 */

const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  tables.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1];
    const next = new Uint32Array(256);
    for (let n = 0; n < 256; n++) next[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    tables.push(next);
  }
  return tables;
}

/**
 * The CRC-32 of `bytes`, as an unsigned 32-bit number.
 *
 * `previous` continues a running checksum, with zlib's semantics:
 * `crc32(b, crc32(a))` equals `crc32(a ++ b)`, and `crc32(empty)` is 0.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~previous >>> 0;
  const n = bytes.length;
  let i = 0;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo = (crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    crc =
      t7[lo & 0xff] ^
      t6[(lo >>> 8) & 0xff] ^
      t5[(lo >>> 16) & 0xff] ^
      t4[lo >>> 24] ^
      t3[bytes[i + 4]] ^
      t2[bytes[i + 5]] ^
      t1[bytes[i + 6]] ^
      t0[bytes[i + 7]];
    i += 8;
  }
  while (i < n) {
    crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
