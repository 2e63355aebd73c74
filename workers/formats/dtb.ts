/**
 * A flattened device tree (DTB) writer, after the Devicetree Specification
 * v0.4 chapter 5: header (magic 0xd00dfeed, version 17, last compatible
 * version 16), memory reservation block, structure block, strings block.
 *
 * Build a tree with {@link DeviceTree} and {@link DtNode}: nodes and
 * properties keep the order they are added in, which is the order they have
 * in the blob (and in `dtc -I dtb -O dts`). Property values are big-endian,
 * as the specification has them. Anything the specification does not allow
 * (a bad node or property name, a duplicate, a cell out of range, a NUL inside
 * a string, a phandle used twice) throws {@link DtbError} when it is added.
 *
 * A pure codec: no I/O, runs in the browser and in Node alike.
 */

export class DtbError extends Error {
  override name = 'DtbError';
}

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_END = 0x9;
const HEADER_BYTES = 40;

/** A 64-bit quantity: a bigint, or a non-negative safe integer. */
export type U64 = number | bigint;

const NODE_NAME = /^[0-9A-Za-z,._+-]{1,31}$/;
const UNIT_ADDRESS = /^[0-9A-Za-z,._+-]+$/;
const PROPERTY_NAME = /^[0-9A-Za-z,._+?#-]{1,31}$/;

export interface DtProperty {
  readonly name: string;
  readonly value: Uint8Array;
}

function checkNodeName(name: string): void {
  const at = name.indexOf('@');
  const base = at < 0 ? name : name.slice(0, at);
  const unit = at < 0 ? undefined : name.slice(at + 1);
  if (!NODE_NAME.test(base) || !/^[A-Za-z]/.test(base)) {
    throw new DtbError(`bad node name "${name}": the part before any "@" must be 1 to 31 of [0-9a-zA-Z,._+-], starting with a letter`);
  }
  if (unit !== undefined && !UNIT_ADDRESS.test(unit)) {
    throw new DtbError(`bad node name "${name}": the unit address after "@" must be one or more of [0-9a-zA-Z,._+-]`);
  }
}

function u32Cell(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new DtbError(`${what}: ${value} is not a 32-bit cell (an integer from 0 to 0xffffffff)`);
  }
  return value;
}

function u64Value(value: U64, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new DtbError(`${what}: ${value} is not an integer (give a bigint for values of 2^53 and above)`);
  }
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new DtbError(`${what}: ${value} is not a 64-bit value`);
  return v;
}

function checkString(s: string, what: string): Uint8Array {
  if (s.includes('\0')) throw new DtbError(`${what}: a string must not contain NUL`);
  return new TextEncoder().encode(s);
}

/** A node of a {@link DeviceTree}. Every adder returns the node, so calls chain. */
export class DtNode {
  readonly properties: DtProperty[] = [];
  readonly children: DtNode[] = [];

  /** @internal Made by {@link DeviceTree} and {@link DtNode.child}. */
  constructor(readonly tree: DeviceTree, readonly name: string) {}

  /** Adds a child node (`name` or `name@unit-address`). */
  child(name: string): DtNode {
    checkNodeName(name);
    if (this.children.some((c) => c.name === name)) throw new DtbError(`node ${this.path()} already has a child "${name}"`);
    const node = new DtNode(this.tree, name);
    node.parent = this;
    this.children.push(node);
    return node;
  }

  /** A property with these raw bytes. */
  bytes(name: string, value: Uint8Array): this {
    if (!PROPERTY_NAME.test(name)) throw new DtbError(`bad property name "${name}" in ${this.path()}: 1 to 31 of [0-9a-zA-Z,._+?#-]`);
    if (this.properties.some((p) => p.name === name)) throw new DtbError(`node ${this.path()} already has a property "${name}"`);
    this.properties.push({ name, value: value.slice() });
    return this;
  }

  /** A property with no value (a flag such as `interrupt-controller`). */
  empty(name: string): this { return this.bytes(name, new Uint8Array(0)); }

  /** One or more 32-bit cells (`<a b c>`); phandle references are cells too. */
  u32(name: string, ...cells: number[]): this {
    if (cells.length === 0) throw new DtbError(`property "${name}" in ${this.path()}: give at least one cell (use empty() for no value)`);
    const out = new Uint8Array(cells.length * 4);
    const v = new DataView(out.buffer);
    cells.forEach((c, i) => v.setUint32(i * 4, u32Cell(c, `property "${name}" in ${this.path()}`)));
    return this.bytes(name, out);
  }

  /** One or more 64-bit values, each as two cells, high then low. */
  u64(name: string, ...values: U64[]): this {
    if (values.length === 0) throw new DtbError(`property "${name}" in ${this.path()}: give at least one value (use empty() for no value)`);
    const out = new Uint8Array(values.length * 8);
    const v = new DataView(out.buffer);
    values.forEach((x, i) => v.setBigUint64(i * 8, u64Value(x, `property "${name}" in ${this.path()}`)));
    return this.bytes(name, out);
  }

  /** A NUL-terminated string. */
  string(name: string, value: string): this {
    return this.strings(name, [value]);
  }

  /** A string list: each string NUL-terminated, one after the other. */
  strings(name: string, values: readonly string[]): this {
    if (values.length === 0) throw new DtbError(`property "${name}" in ${this.path()}: a string list needs at least one string`);
    const parts = values.map((s) => checkString(s, `property "${name}" in ${this.path()}`));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length + 1; }
    return this.bytes(name, out);
  }

  /**
   * The node's `phandle` property. The value must be unused in the tree
   * (1..0xfffffffe); {@link DeviceTree.allocatePhandle} gives the next free one.
   */
  phandle(value: number): this {
    if (!Number.isInteger(value) || value < 1 || value > 0xffff_fffe) {
      throw new DtbError(`phandle of ${this.path()}: ${value} is not a phandle (1 to 0xfffffffe)`);
    }
    const owner = this.tree.phandleOwner(value);
    if (owner) throw new DtbError(`phandle ${value} of ${this.path()} is already the phandle of ${owner.path()}`);
    this.u32('phandle', value);
    this.tree.registerPhandle(value, this);
    return this;
  }

  /** The property's value, if the node has it. */
  get(name: string): Uint8Array | undefined {
    return this.properties.find((p) => p.name === name)?.value;
  }

  private parent: DtNode | undefined;

  /** The node's full path, `/` for the root. */
  path(): string {
    if (!this.parent) return '/';
    const up = this.parent.path();
    return up === '/' ? `/${this.name}` : `${up}/${this.name}`;
  }
}

/** A device tree: the root node, the memory reservations and the boot CPU. */
export class DeviceTree {
  readonly root: DtNode;
  /** boot_cpuid_phys in the header. */
  bootCpuid = 0;
  private readonly reservations: { address: bigint; size: bigint }[] = [];
  private readonly phandles = new Map<number, DtNode>();
  private nextPhandle = 1;

  constructor() { this.root = new DtNode(this, ''); }

  /** Adds an entry to the memory reservation block. */
  reserve(address: U64, size: U64): this {
    const a = u64Value(address, 'memory reservation address');
    const s = u64Value(size, 'memory reservation size');
    if (s === 0n) throw new DtbError('memory reservation of 0 bytes (a zero size ends the block)');
    this.reservations.push({ address: a, size: s });
    return this;
  }

  /** The lowest phandle no node has yet (it is not taken until a node's phandle() uses it). */
  allocatePhandle(): number {
    while (this.phandles.has(this.nextPhandle)) this.nextPhandle++;
    return this.nextPhandle;
  }

  /** @internal */
  phandleOwner(value: number): DtNode | undefined { return this.phandles.get(value); }
  /** @internal */
  registerPhandle(value: number, node: DtNode): void { this.phandles.set(value, node); }

  /**
   * The flattened tree: header, memory reservation block at 0x28, structure
   * block, strings block (each property name once), in that order, as dtc and
   * libfdt lay them out.
   */
  toDtb(): Uint8Array {
    u32Cell(this.bootCpuid, 'boot_cpuid_phys');
    const strings: number[] = [];
    const stringOffsets = new Map<string, number>();
    const nameOffset = (name: string): number => {
      let off = stringOffsets.get(name);
      if (off === undefined) {
        off = strings.length;
        stringOffsets.set(name, off);
        for (const b of new TextEncoder().encode(name)) strings.push(b);
        strings.push(0);
      }
      return off;
    };

    const struct: number[] = [];
    const word = (w: number) => { struct.push((w >>> 24) & 0xff, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff); };
    const pad = () => { while (struct.length % 4) struct.push(0); };
    const emit = (node: DtNode) => {
      word(FDT_BEGIN_NODE);
      for (const b of new TextEncoder().encode(node.name)) struct.push(b);
      struct.push(0);
      pad();
      for (const p of node.properties) {
        word(FDT_PROP);
        word(p.value.length);
        word(nameOffset(p.name));
        for (const b of p.value) struct.push(b);
        pad();
      }
      for (const c of node.children) emit(c);
      word(FDT_END_NODE);
    };
    emit(this.root);
    word(FDT_END);

    const rsvOffset = HEADER_BYTES; // 0x28, 8-byte aligned
    const rsvBytes = (this.reservations.length + 1) * 16;
    const structOffset = rsvOffset + rsvBytes;
    const stringsOffset = structOffset + struct.length;
    const total = stringsOffset + strings.length;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    const header = [FDT_MAGIC, total, structOffset, stringsOffset, rsvOffset, FDT_VERSION, FDT_LAST_COMP_VERSION,
      this.bootCpuid, strings.length, struct.length];
    header.forEach((h, i) => v.setUint32(i * 4, h));
    this.reservations.forEach((r, i) => {
      v.setBigUint64(rsvOffset + i * 16, r.address);
      v.setBigUint64(rsvOffset + i * 16 + 8, r.size);
    });
    out.set(struct, structOffset);
    out.set(strings, stringsOffset);
    return out;
  }
}
