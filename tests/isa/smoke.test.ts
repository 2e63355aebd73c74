import { it } from 'vitest';
import { run } from './support';

it('dbg', async () => {
  const pre = '  li t0, 0x80\n  csrw mie, t0\n  csrr a0, minstret\n';
  for (const b of [
    pre + '  wfi\n  csrr a1, minstret',
    pre + '  wfi\n  nop\n  csrr a1, minstret',
    pre + '  wfi\n  nop\n  nop\n  nop\n  csrr a1, minstret',
    pre + '  nop\n  csrr a1, minstret',
    '  csrw mie, zero\n  li a1, MTIME\n  li a2, MTIMECMP\n  ld a3, 0(a1)\n  addi a3, a3, 3\n  sd a3, 0(a2)\n  li t0, 0x80\n  csrw mie, t0\n  csrr a0, minstret\n  wfi\n  nop\n  nop\n  csrr a1, minstret',
  ]) {
    const r = await run(b, { qemu: true });
    const q = r.qemuDump!, d = r.dump!;
    console.log(JSON.stringify(b.slice(pre.length)), 'hindsight', BigInt(d.a1) - BigInt(d.a0), 'qemu', BigInt(q.a1) - BigInt(q.a0));
  }
});
