// The DTB writer against dtc (device-tree-compiler), which decompiles what it
// writes; and the errors for input the specification does not allow.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { DeviceTree, DtbError, FDT_MAGIC } from './dtb';

/** `dtc -I dtb -O dts` of the blob: the source text and dtc's warnings. */
function decompile(dtb: Uint8Array): { dts: string; warnings: string } {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-'], { input: dtb });
  if (r.error) throw new Error(`cannot run dtc (apt-get install device-tree-compiler): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`dtc refused the blob (status ${r.status}): ${r.stderr.toString()}`);
  return { dts: r.stdout.toString(), warnings: r.stderr.toString() };
}

function header(dtb: Uint8Array): number[] {
  const v = new DataView(dtb.buffer, dtb.byteOffset, dtb.byteLength);
  return Array.from({ length: 10 }, (_, i) => v.getUint32(i * 4));
}

describe('DTB writer', () => {
  it('writes every kind of property as dtc reads it back', () => {
    const tree = new DeviceTree();
    const intc = tree.allocatePhandle();
    tree.root.u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'hindsight,test').empty('dma-coherent');
    const a = tree.root.child('alpha@1000');
    a.phandle(intc).u32('cells', 0, 1, 0xffffffff).u64('reg', 0x1000, 0x100).u64('wide', 0x1000, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn)
      .strings('compatible', ['vendor,one', 'vendor,two']).bytes('blob', new Uint8Array([1, 2, 0xfe]));
    a.child('beta').u32('ref', intc).string('empty-string', '');
    const next = tree.allocatePhandle();
    expect(next).toBe(2);
    tree.root.child('gamma_node').phandle(next).string('label', 'x,y+z-w.v');
    tree.reserve(0x8000_0000, 0x1000).reserve(0x1_0000_0000n, 0x20_0000);
    const dtb = tree.toDtb();

    const [magic, total, offStruct, offStrings, offRsv, version, lastComp, bootCpu, sizeStrings, sizeStruct] = header(dtb);
    expect(magic).toBe(FDT_MAGIC);
    expect([version, lastComp, bootCpu]).toEqual([17, 16, 0]);
    expect(total).toBe(dtb.length);
    expect(offRsv).toBe(0x28);
    expect(offStruct).toBe(0x28 + 3 * 16);
    expect(offStrings).toBe(offStruct + sizeStruct);
    expect(offStrings + sizeStrings).toBe(total);
    // Each property name once in the strings block.
    const strings = new TextDecoder().decode(dtb.subarray(offStrings, total)).split('\0');
    expect(strings.filter((s) => s === 'compatible')).toHaveLength(1);

    const { dts, warnings } = decompile(dtb);
    expect(warnings).toBe('');
    expect(dts).toBe(`/dts-v1/;

/memreserve/\t0x0000000080000000 0x0000000000001000;
/memreserve/\t0x0000000100000000 0x0000000000200000;
/ {
\t#address-cells = <0x02>;
\t#size-cells = <0x02>;
\tcompatible = "hindsight,test";
\tdma-coherent;

\talpha@1000 {
\t\tphandle = <0x01>;
\t\tcells = <0x00 0x01 0xffffffff>;
\t\treg = <0x00 0x1000 0x00 0x100>;
\t\twide = <0x00 0x1000 0x01 0x00 0xffffffff 0xffffffff>;
\t\tcompatible = "vendor,one\\0vendor,two";
\t\tblob = [01 02 fe];

\t\tbeta {
\t\t\tref = <0x01>;
\t\t\tempty-string = [00];
\t\t};
\t};

\tgamma_node {
\t\tphandle = <0x02>;
\t\tlabel = "x,y+z-w.v";
\t};
};
`);
  });

  it('writes an empty tree and the boot CPU', () => {
    const tree = new DeviceTree();
    tree.bootCpuid = 3;
    const dtb = tree.toDtb();
    // header, one terminating reservation, BEGIN_NODE "" (8 bytes), END_NODE, END; no strings
    expect(dtb.length).toBe(40 + 16 + 16);
    expect(header(dtb)[7]).toBe(3);
    expect(decompile(dtb).dts).toBe('/dts-v1/;\n\n/ {\n};\n');
  });

  it('survives a round trip through dtc unchanged', () => {
    const tree = new DeviceTree();
    tree.root.child('n@0').u32('a', 7).strings('s', ['p', 'q']);
    const dtb = tree.toDtb();
    const back = spawnSync('dtc', ['-I', 'dtb', '-O', 'dtb', '-'], { input: dtb });
    expect(back.status).toBe(0);
    expect(decompile(new Uint8Array(back.stdout)).dts).toBe(decompile(dtb).dts);
  });

  it('refuses what the specification does not allow', () => {
    const tree = new DeviceTree();
    const n = tree.root.child('node@1');
    const bad: [string, () => unknown, RegExp][] = [
      ['an empty node name', () => tree.root.child(''), /bad node name ""/],
      ['a node name with a slash', () => tree.root.child('a/b'), /bad node name/],
      ['a node name of 32 characters', () => tree.root.child('a'.repeat(32)), /1 to 31/],
      ['a node name starting with a digit', () => tree.root.child('1abc'), /starting with a letter/],
      ['an empty unit address', () => tree.root.child('abc@'), /unit address/],
      ['two @', () => tree.root.child('abc@1@2'), /unit address/],
      ['a duplicate child', () => tree.root.child('node@1'), /already has a child "node@1"/],
      ['a bad property name', () => n.u32('a b', 1), /bad property name "a b" in \/node@1/],
      ['an empty property name', () => n.empty(''), /bad property name/],
      ['a long property name', () => n.empty('p'.repeat(32)), /bad property name/],
      ['a negative cell', () => n.u32('neg', -1), /-1 is not a 32-bit cell/],
      ['a cell above 32 bits', () => n.u32('big', 0x1_0000_0000), /is not a 32-bit cell/],
      ['a fractional cell', () => n.u32('frac', 1.5), /1.5 is not a 32-bit cell/],
      ['no cells', () => n.u32('none'), /at least one cell/],
      ['no 64-bit values', () => n.u64('none'), /at least one value/],
      ['an unsafe number as u64', () => n.u64('u', 2 ** 60), /not an integer/],
      ['a u64 above 64 bits', () => n.u64('u', 1n << 64n), /not a 64-bit value/],
      ['a negative u64', () => n.u64('u', -1n), /not a 64-bit value/],
      ['a NUL in a string', () => n.string('s', 'a\0b'), /must not contain NUL/],
      ['an empty string list', () => n.strings('s', []), /at least one string/],
      ['phandle 0', () => n.phandle(0), /0 is not a phandle/],
      ['phandle 0xffffffff', () => n.phandle(0xffffffff), /is not a phandle/],
      ['an empty reservation', () => tree.reserve(0x1000, 0), /0 bytes/],
    ];
    for (const [what, f, message] of bad) {
      expect(f, what).toThrow(DtbError);
      expect(f, what).toThrow(message);
    }
    n.u32('dup', 1);
    expect(() => n.string('dup', 'x')).toThrow(/\/node@1 already has a property "dup"/);
    n.phandle(5);
    expect(() => tree.root.child('other').phandle(5)).toThrow(/phandle 5 of \/other is already the phandle of \/node@1/);
    expect(() => n.phandle(6)).toThrow(/already has a property "phandle"/);
    expect(tree.allocatePhandle()).toBe(1);
    tree.bootCpuid = -1;
    expect(() => tree.toDtb()).toThrow(/boot_cpuid_phys/);
  });
});
