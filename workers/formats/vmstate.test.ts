import { describe, it, expect } from 'vitest';
import { encodeVmState, decodeVmState, VmStateError, REGISTER_FILE_BYTES, type VmState } from './vmstate';

const CORE = 400;

function sample(): VmState {
  const registers = new Uint8Array(REGISTER_FILE_BYTES).map((_, i) => i & 0xff);
  const core = new Uint8Array(CORE).map((_, i) => (i * 7) & 0xff);
  core[24] = 3; // M mode
  return {
    icount: 123456789n, registers, core,
    semihosting: { handles: [null, { kind: 'console', stream: 'stdin' }, { kind: 'features', position: 2 }], errno: 0 },
    exitCode: undefined,
  };
}

describe('VM state', () => {
  it('round trips', () => {
    const s = sample();
    const back = decodeVmState(encodeVmState(s), CORE);
    expect(back).toEqual(s);
    expect(decodeVmState(encodeVmState({ ...s, exitCode: 3 }), CORE).exitCode).toBe(3);
  });

  it('rejects what is not a VM state, with a reason', () => {
    const good = encodeVmState(sample());
    const cases: [string, Uint8Array, RegExp][] = [
      ['short', good.slice(0, 100), /too short/],
      ['magic', Object.assign(good.slice(), { 0: 0 }), /bad magic/],
      ['version', (() => { const b = good.slice(); b[4] = 9; return b; })(), /version 9/],
      ['version 1', (() => { const b = good.slice(); b[4] = 1; return b; })(), /earlier Hindsight, before the machine had floating-point registers/],
      ['core length', (() => { const b = good.slice(); b[16] = 1; return b; })(), /core state is/],
      ['trailing bytes', new Uint8Array([...good, 1, 2]), /do not match its size/],
      ['privilege 2', (() => { const b = good.slice(); b[32 + REGISTER_FILE_BYTES + 24] = 2; return b; })(), /privilege level 2/],
      ['json', (() => { const b = good.slice(); b[b.length - 1] = 0x7b; return b; })(), /not valid JSON/],
      ['exit', (() => { const b = good.slice(); b[25] = 9; return b; })(), /exit field/],
    ];
    for (const [what, bytes, message] of cases) {
      expect(() => decodeVmState(bytes, CORE), what).toThrow(VmStateError);
      expect(() => decodeVmState(bytes, CORE), what).toThrow(message);
    }
    const hostile = encodeVmState({ ...sample(), semihosting: { handles: [{ kind: 'file', path: '/etc/passwd' } as never], errno: 0 } });
    expect(() => decodeVmState(hostile, CORE)).toThrow(/unknown shape/);
  });

  it('never throws anything but VmStateError on mutations', () => {
    const good = encodeVmState(sample());
    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed; };
    for (let i = 0; i < 3000; i++) {
      const b = good.slice();
      for (let k = 0; k < 1 + (rand() % 4); k++) b[rand() % b.length] = rand() & 0xff;
      try { decodeVmState(b, CORE); } catch (e) { expect(e).toBeInstanceOf(VmStateError); }
    }
  });
});
