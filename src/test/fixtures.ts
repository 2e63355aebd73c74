// Made-up engine answers for component and controller tests.
import type { MotionAnswer, OpenAnswer, PositionView, SessionInfo, SessionStatus } from '../../workers/engine-api';

export const hex = (n: number | bigint) => '0x' + BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0');

export function view(icount: number, overrides: Partial<PositionView> = {}): PositionView {
  return {
    icount,
    hart: 0,
    hartCount: 1,
    runningHart: 0,
    pc: hex(0x80000000 + icount * 4),
    pcLabel: `main+0x${(icount * 4).toString(16)}`,
    instruction: 'add a0,a0,1',
    privilege: 'M',
    registers: Array.from({ length: 32 }, (_, i) => hex(i === 0 ? 0 : i * 0x100 + icount)),
    csrs: [{ name: 'mstatus', number: 0x300, value: hex(0x1800) }, { name: 'mcause', number: 0x342, value: null }],
    fpu: { registers: Array.from({ length: 32 }, () => hex(0)), fcsr: null },
    ...overrides,
  };
}

export function status(overrides: Partial<SessionStatus> = {}): SessionStatus {
  return { length: 1000, ended: { reason: 'exit', exitCode: 0 }, phase: 'fixed', recordingId: 'rec-1', storageProblem: null, ...overrides };
}

export function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    ...status(),
    name: 'prog.elf',
    programName: 'prog.elf',
    mode: 'replay',
    createdAt: '2025-01-02T03:04:05.000Z',
    listing: { text: '<main>:\n00000513   li      a0,0\n00008067   ret', addresses: [-1, 0x80000000, 0x80000004], title: 'code' },
    console: [],
    debugInfo: 'unsupported',
    debugInfoProblems: [],
    sources: [],
    snapshotImage: false,
    traps: [],
    notes: [],
    ...overrides,
  };
}

export function opened(icount = 0, overrides: Partial<SessionInfo> = {}): OpenAnswer {
  return { session: session(overrides), view: view(icount, { memory: undefined }) };
}

export function answer(icount: number, overrides: Partial<MotionAnswer> = {}): MotionAnswer {
  return { result: { reason: 'step', icount, pc: view(icount).pc }, view: view(icount), status: status(), console: [], ...overrides };
}
