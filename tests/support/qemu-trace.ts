// Parses QEMU's `-d cpu` log (the CPU state before each instruction, with
// -singlestep) into the same steps that `hindsight run --trace` writes: the pc
// of each instruction and the registers that changed by the next one.
export interface LockstepStep {
  pc: bigint;
  changes: Map<number, bigint>;
}

/**
 * In icount mode QEMU retranslates an instruction that touches a device so
 * that it ends its block, and logs the abandoned first attempt too: the same
 * pc twice with nothing changed in between. Keep one of them.
 */
function dropAbortedAttempt(states: { pc: bigint; regs: bigint[] }[]): void {
  const n = states.length;
  if (n < 2) return;
  const a = states[n - 2], b = states[n - 1];
  if (a.pc === b.pc && a.regs.every((v, i) => v === b.regs[i])) states.splice(n - 2, 1);
}

const REG = /x(\d+)\/\S+\s+([0-9a-f]{16})/g;

export function parseQemuCpuLog(text: string): LockstepStep[] {
  return parseQemuCpuLogLines(text.split('\n'));
}

export function parseQemuCpuLogLines(lines: Iterable<string>): LockstepStep[] {
  const states: { pc: bigint; regs: bigint[] }[] = [];
  let current: { pc: bigint; regs: bigint[] } | undefined;
  for (const line of lines) {
    const pcMatch = /^ pc\s+([0-9a-f]{16})/.exec(line);
    if (pcMatch) {
      current = { pc: BigInt('0x' + pcMatch[1]), regs: new Array<bigint>(32).fill(0n) };
      states.push(current);
      continue;
    }
    if (current && line.startsWith(' x')) {
      for (const m of line.matchAll(REG)) current.regs[Number(m[1])] = BigInt('0x' + m[2]);
      if (line.startsWith(' x28/t3')) dropAbortedAttempt(states);
    }
  }
  const steps: LockstepStep[] = [];
  for (let i = 0; i < states.length; i++) {
    const changes = new Map<number, bigint>();
    if (i + 1 < states.length) {
      for (let r = 1; r < 32; r++) if (states[i + 1].regs[r] !== states[i].regs[r]) changes.set(r, states[i + 1].regs[r]);
    }
    steps.push({ pc: states[i].pc, changes });
  }
  return steps;
}

const ABI = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];

/** Parses `hindsight run --trace` output. */
export function parseHindsightTrace(text: string): LockstepStep[] {
  const steps: LockstepStep[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [, pc, , ...rest] = line.split(' ; ')[0].split(' ');
    const changes = new Map<number, bigint>();
    for (const c of rest) {
      const [name, value] = c.split('=');
      changes.set(ABI.indexOf(name), BigInt('0x' + value));
    }
    steps.push({ pc: BigInt('0x' + pc), changes });
  }
  return steps;
}

/** The first step where the two traces differ, described; undefined if they agree. */
export function firstDifference(expected: LockstepStep[], actual: LockstepStep[]): string | undefined {
  const n = Math.min(expected.length, actual.length);
  const fmt = (s: LockstepStep) => `pc ${s.pc.toString(16)} ${[...s.changes].map(([r, v]) => `${ABI[r]}=${v.toString(16)}`).join(' ')}`;
  for (let i = 0; i < n; i++) {
    const e = expected[i], a = actual[i];
    // QEMU's last logged state has no successor, so its changes are unknown.
    const lastOfQemu = i === expected.length - 1;
    const sameChanges = lastOfQemu || (e.changes.size === a.changes.size && [...e.changes].every(([r, v]) => a.changes.get(r) === v));
    if (e.pc !== a.pc || !sameChanges) {
      return `step ${i}: QEMU ${fmt(e)} | Hindsight ${fmt(a)} (previous: ${i > 0 ? fmt(expected[i - 1]) : 'none'})`;
    }
  }
  if (expected.length !== actual.length) return `lengths differ: QEMU ${expected.length} steps, Hindsight ${actual.length}`;
  return undefined;
}
