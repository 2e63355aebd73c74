// The official riscv-tests ISA suites (rv64ui, rv64uc, rv64um, rv64ua, rv64uf,
// rv64ud, rv64uzba/zbb/zbc/zbs, rv64si, rv64mi), built from their sources
// (see build.ts) with this directory's "p" environment, run on
// qemu-system-riscv64 and on Hindsight: every test passes on both, except the
// few listed in EXPECTED_FAILURES, which pass on QEMU and must still fail on
// Hindsight (so that whoever fixes one is told to take it off the list), and
// those in QEMU_FAILURES, which fail on QEMU 7.2 itself and must fail on
// Hindsight in the same way. One Vitest test per suite; its failure lists
// every test of the suite that went wrong, with how it ended and its UART
// output on both machines.
//
// A test passes when it powers the board off through the test finisher with
// status 0; a failure prints the failing test number and the trap CSRs on the
// UART (env/riscv_test.h), which the failure messages quote.
//
// A last test builds one program with the suite's own env/p (a tohost loop
// instead of the finisher, one PT_LOAD segment with p_flags 0) and checks that
// Hindsight loads it and runs it to its pass, and that QEMU loads it too.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';
import { parseElf, PF_X } from '../../workers/formats/elf';
import { runHindsight as runHindsightCli } from '../support/qemu';
import { JOBS, ROOT, SUITES, allTests, buildTests, buildUpstream, limiter, suiteTests, type TestProgram } from './build';

/**
 * Tests that pass on QEMU but not (yet) on Hindsight, with the reason. Each is
 * checked to pass on QEMU and to fail on Hindsight: when one starts passing,
 * remove it from here.
 */
const EXPECTED_FAILURES: Record<string, string> = {};

/**
 * Tests that fail on the reference itself, QEMU 7.2, for a reason of QEMU's
 * (not of this environment), where Hindsight follows QEMU on purpose. Each is
 * checked to fail on both, with the same report: when QEMU passes one, remove
 * it from here.
 */
const QEMU_FAILURES: Record<string, string> = {
  // Test 2 writes minstret and reads it with the next instruction, expecting the value written.
  // QEMU 7.2 counts the reading instruction too (it reads the value written + 1), with or without
  // -icount; Hindsight's counters follow QEMU's (docs/machine.md, "Instruction count").
  'rv64mi-p-instret_overflow': 'QEMU 7.2 does not suppress the minstret increment after a write to minstret',
};

const RAM_MIB = 16;
/** The longest test runs well under a million instructions. */
const BUDGET = 10_000_000n;
const QEMU_TIMEOUT_S = 20;

interface Outcome {
  passed: boolean;
  /** How it ended: exit status, stop reason, timeout. */
  how: string;
  uart: string;
}

/** QEMU processes at a time, over all suites. */
const qemuSlot = limiter(JOBS);

/**
 * Starts QEMU under coreutils' `timeout`, so that it is stopped after `seconds`
 * even if this process goes away first (a failed test is not waited for).
 * Exit status 124: it was stopped.
 */
function spawnQemu(args: string[], seconds: number) {
  return spawn('timeout', ['-k', '5', String(seconds), 'qemu-system-riscv64', '-machine', 'virt', '-bios', 'none', '-m', `${RAM_MIB}M`,
    '-display', 'none', '-monitor', 'none', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** QEMU's stderr without the line it writes when a signal stops it. */
const qemuStderr = (text: string): string => text.replace(/^qemu-system-riscv64: terminating on signal.*\n?/m, '').trim();

function runQemu(elf: string): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-riscv-tests-qemu-'));
  const uart = join(dir, 'uart.txt');
  // The UART goes to a file: through a pipe QEMU may drop what it had not written when it powers off.
  return new Promise((done, fail) => {
    const child = spawnQemu(['-serial', `file:${uart}`, '-kernel', elf], QEMU_TIMEOUT_S);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => fail(new Error(`cannot run timeout qemu-system-riscv64: ${e.message}`)));
    child.on('close', (code, signal) => {
      let output = '';
      try { output = readFileSync(uart, 'latin1'); } catch { /* no output */ }
      rmSync(dir, { recursive: true, force: true });
      const how = code === 124 ? `still running after ${QEMU_TIMEOUT_S} s` : signal ? `killed by ${signal}` : `exit status ${code}`;
      const err = qemuStderr(stderr);
      done({ passed: code === 0, how: err ? `${how}, stderr: ${err}` : how, uart: output });
    });
  });
}

/** Runs an ELF on QEMU for `seconds`: whether it was still running then, and its stderr. */
function runQemuFor(elf: string, seconds: number): Promise<{ stillRunning: boolean; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawnQemu(['-serial', 'none', '-kernel', elf], seconds);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => fail(new Error(`cannot run timeout qemu-system-riscv64: ${e.message}`)));
    child.on('close', (code) => done({ stillRunning: code === 124, stderr: qemuStderr(stderr) }));
  });
}

let modulePromise: Promise<WebAssembly.Module> | undefined;
function coreModule(): Promise<WebAssembly.Module> {
  modulePromise ??= WebAssembly.compile(loadCoreWasm() as BufferSource);
  return modulePromise;
}

async function newMachine(): Promise<{ m: Machine; uart: () => string }> {
  const m = await Machine.create(await coreModule(), new BufferedInput(new Uint8Array()), { ramMiB: RAM_MIB });
  let out = '';
  m.onOutput((b) => { out += Buffer.from(b).toString('latin1'); });
  return { m, uart: () => out };
}

async function runHindsight(elf: string): Promise<Outcome> {
  const { m, uart } = await newMachine();
  m.load(new Uint8Array(readFileSync(elf)));
  const stop = m.run(BUDGET);
  const at = `pc 0x${stop.pc.toString(16)} (${m.symbols.format(Number(stop.pc))}), icount ${stop.icount}`;
  const how = stop.reason === 'exit' ? `exit status ${stop.exitCode}` : `stopped: ${stop.reason}${stop.message ? ` (${stop.message})` : ''} at ${at}`;
  return { passed: stop.reason === 'exit' && stop.exitCode === 0, how, uart: uart() };
}

function describeOutcome(where: string, o: Outcome): string {
  return `${where}: ${o.how}; UART: ${JSON.stringify(o.uart.trim() || '(nothing)')}`;
}

let elfs: Map<string, string>;

beforeAll(async () => {
  elfs = await buildTests(allTests());
});

describe('riscv-tests ISA suites on QEMU and Hindsight', () => {
  it('the lists of known failures name tests that exist', () => {
    const ids = new Set(allTests().map((t) => t.id));
    expect([...Object.keys(EXPECTED_FAILURES), ...Object.keys(QEMU_FAILURES)].filter((id) => !ids.has(id))).toEqual([]);
  });

  for (const suite of SUITES) {
    it.concurrent(suite, async () => {
      const tests = suiteTests(suite);
      expect(tests.length).toBeGreaterThan(0);
      const problems: string[] = [];
      // QEMU runs in a child process per test while Hindsight runs here.
      const results = await Promise.all(tests.map(async (t: TestProgram) => {
        const elf = elfs.get(t.id)!;
        const qemu = qemuSlot(() => runQemu(elf));
        const ours = await runHindsight(elf);
        return { t, qemu: await qemu, ours };
      }));
      for (const { t, qemu, ours } of results) {
        const expectedFailure = EXPECTED_FAILURES[t.id];
        const qemuFailure = QEMU_FAILURES[t.id];
        if (qemuFailure !== undefined) {
          if (qemu.passed) problems.push(`${t.id} now passes on QEMU: remove it from QEMU_FAILURES ("${qemuFailure}")`);
          else if (ours.passed || ours.uart !== qemu.uart) {
            problems.push(`${t.id} should fail on Hindsight as it does on QEMU: ${describeOutcome('QEMU', qemu)}; ${describeOutcome('Hindsight', ours)}`);
          }
          continue;
        }
        if (!qemu.passed) problems.push(`${t.id} fails on QEMU (a problem with env/?): ${describeOutcome('QEMU', qemu)}`);
        if (expectedFailure === undefined && !ours.passed) problems.push(`${t.id} fails on Hindsight: ${describeOutcome('Hindsight', ours)}`);
        if (expectedFailure !== undefined && ours.passed) {
          problems.push(`${t.id} now passes on Hindsight: remove it from EXPECTED_FAILURES ("${expectedFailure}")`);
        }
      }
      expect(problems, `${problems.length} of ${tests.length} ${suite} tests:\n${problems.join('\n')}`).toEqual([]);
    });
  }
});

describe("riscv-tests' own env/p", () => {
  it('loads a program whose only PT_LOAD segment has p_flags 0 and runs it to its tohost write, as QEMU does', async () => {
    const add = suiteTests('rv64ui').find((t) => t.name === 'add');
    if (!add) throw new Error('rv64ui has no add test');
    const path = await buildUpstream(add);
    // QEMU loads it and runs it (forever: nothing on the virt board answers tohost).
    const qemu = runQemuFor(path, 1);
    const elf = new Uint8Array(readFileSync(path));
    const image = parseElf(elf);
    // What the test is about: env/p/link.ld puts everything in one segment declared with flags 0.
    const loads = image.segments.filter((s) => s.memSize > 0);
    expect(loads.length).toBeGreaterThan(0);
    expect(loads.filter((s) => (s.flags & PF_X) !== 0), 'no executable PT_LOAD segment').toEqual([]);

    const { m } = await newMachine();
    m.load(elf);
    const sym = (name: string): bigint => {
      const s = m.symbols.lookup(name);
      if (!s) throw new Error(`no symbol ${name}`);
      return BigInt(s.address);
    };
    // The suite's trap vector: every RVTEST_PASS/RVTEST_FAIL ecall ends at write_tohost with TESTNUM (gp)
    // = 1 for a pass, which the loop there stores to tohost forever.
    m.setBreakpoints([sym('write_tohost')]);
    const stop = m.run(1_000_000n);
    expect(stop.reason, `stop at pc 0x${stop.pc.toString(16)} (${m.symbols.format(Number(stop.pc))})`).toBe('breakpoint');
    expect(stop.pc).toBe(sym('write_tohost'));
    expect(m.readCsr(0x342), 'mcause: an ecall from U-mode').toBe(8n);
    expect(m.registers()[3], 'gp (TESTNUM): 1 is a pass').toBe(1n);
    m.setBreakpoints([]);
    expect(m.run(100n).reason).toBe('budget');
    const tohost = m.readMemory(sym('tohost'), 8);
    expect(tohost && Buffer.from(tohost).readBigUInt64LE(0), 'tohost').toBe(1n);

    // The command line loads it too (it used to refuse it: "entry point ... is not inside any loaded
    // executable segment", status 1); the tohost loop never ends, so --max-insns stops it (status 124).
    const cli = runHindsightCli(['run', path, '--max-insns', '100000'], { cwd: ROOT });
    expect(cli.stderr).toMatch(/stopped after 100000 instructions \(--max-insns\) at pc 0x[0-9a-f]+ \(write_tohost(\+0x[0-9a-f]+)?\)/);
    expect(cli.status).toBe(124);

    expect(await qemu, 'QEMU still running it after 1 s, with nothing on stderr').toEqual({ stillRunning: true, stderr: '' });
  });
});
