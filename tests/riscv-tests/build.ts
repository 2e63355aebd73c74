// Builds the official riscv-tests ISA suites (github.com/riscv-software-src/riscv-tests)
// from their sources, which live outside this repository, next to it:
// ../shared/third_party/riscv-tests relative to the repository root. Nothing of
// theirs is copied into the project: the programs are compiled at test time,
// against this directory's environment (env/riscv_test.h, env/link.ld: the
// suite's "p" environment, reporting through the virt board's test finisher),
// into a cache directory under os.tmpdir() named by a hash of everything that
// goes into them (sources, macros, environment, flags, compiler version), so a
// second run builds nothing.
//
// The list of tests of a suite is the one its Makefrag gives (<suite>_sc_tests),
// as the suite's own Makefile builds them.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The riscv-tests checkout, relative to the repository root. */
export const RISCV_TESTS = resolve(ROOT, '../shared/third_party/riscv-tests');
/** This directory's replacement for the suite's env/p. */
export const ENV_DIR = join(ROOT, 'tests/riscv-tests/env');

export const GCC = 'riscv64-unknown-elf-gcc';
export const MARCH = ['-march=rv64gc_zba_zbb_zbc_zbs', '-mabi=lp64d'];
/** The suite's own RISCV_GCC_OPTS. */
export const GCC_OPTS = ['-static', '-mcmodel=medany', '-fvisibility=hidden', '-nostdlib', '-nostartfiles'];

/** The suites built and run, in the order the suite's Makefile lists them. */
export const SUITES = [
  'rv64ui', 'rv64uc', 'rv64um', 'rv64ua', 'rv64uf', 'rv64ud',
  'rv64uzba', 'rv64uzbb', 'rv64uzbc', 'rv64uzbs',
  'rv64si', 'rv64mi',
] as const;
export type Suite = (typeof SUITES)[number];

export interface TestProgram {
  suite: Suite;
  /** The test's name in its Makefrag, e.g. "add". */
  name: string;
  /** The name the suite's Makefile gives the binary, e.g. "rv64ui-p-add". */
  id: string;
  source: string;
}

/** The flags for one of this directory's builds (env: our env/ or the suite's env/p). */
export function gccFlags(env: 'hindsight' | 'upstream'): string[] {
  const rt = RISCV_TESTS;
  const envFlags = env === 'hindsight'
    ? ['-I', ENV_DIR, '-I', join(rt, 'env'), '-T', join(ENV_DIR, 'link.ld')]
    : ['-I', join(rt, 'env/p'), '-T', join(rt, 'env/p/link.ld')];
  return [...MARCH, ...GCC_OPTS, ...envFlags, '-I', join(rt, 'isa/macros/scalar')];
}

function checkSources(): void {
  if (!existsSync(join(RISCV_TESTS, 'isa/Makefile'))) {
    throw new Error(`the riscv-tests sources are not at ${RISCV_TESTS} (../shared/third_party/riscv-tests from the repository root)`);
  }
}

/** The tests a suite's Makefrag lists in <suite>_sc_tests. */
export function suiteTests(suite: Suite): TestProgram[] {
  checkSources();
  const frag = readFileSync(join(RISCV_TESTS, 'isa', suite, 'Makefrag'), 'utf8');
  const lines = frag.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${suite}_sc_tests =`));
  if (start < 0) throw new Error(`${suite}/Makefrag has no ${suite}_sc_tests list`);
  const words: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const line = i === start ? lines[i].slice(lines[i].indexOf('=') + 1) : lines[i];
    const continued = line.trimEnd().endsWith('\\');
    words.push(...line.replace(/\\\s*$/, '').split(/\s+/).filter(Boolean));
    if (!continued) break;
  }
  return words.map((name) => ({ suite, name, id: `${suite}-p-${name}`, source: join(RISCV_TESTS, 'isa', suite, `${name}.S`) }));
}

export function allTests(): TestProgram[] {
  return SUITES.flatMap((s) => suiteTests(s));
}

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort().map((f) => join(dir, f));
}

let cacheDirMemo: string | undefined;

/** The cache directory for the current sources, flags, environment and compiler. */
export function cacheDir(): string {
  if (cacheDirMemo) return cacheDirMemo;
  checkSources();
  const hash = createHash('sha256');
  const version = spawnSync(GCC, ['--version'], { encoding: 'utf8' });
  if (version.error) throw new Error(`cannot run ${GCC} (the RISC-V cross toolchain is required): ${version.error.message}`);
  hash.update(version.stdout);
  hash.update(JSON.stringify([gccFlags('hindsight'), gccFlags('upstream')].map((f) => f.map((a) => a.replace(ROOT, '<root>')))));
  const inputs = [
    ...filesIn(ENV_DIR),
    join(RISCV_TESTS, 'env/encoding.h'),
    ...filesIn(join(RISCV_TESTS, 'env/p')),
    ...filesIn(join(RISCV_TESTS, 'isa/macros/scalar')),
    ...SUITES.flatMap((s) => filesIn(join(RISCV_TESTS, 'isa', s))),
  ];
  for (const f of inputs) {
    hash.update(f.startsWith(RISCV_TESTS) ? f.slice(RISCV_TESTS.length) : f.slice(ROOT.length));
    hash.update('\0');
    hash.update(readFileSync(f));
    hash.update('\0');
  }
  cacheDirMemo = join(tmpdir(), `hindsight-riscv-tests-${hash.digest('hex').slice(0, 16)}`);
  return cacheDirMemo;
}

function compile(args: string[], out: string): Promise<void> {
  // Built under a temporary name and renamed, so that a concurrent run never sees half a file.
  const partial = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  return new Promise((done, fail) => {
    const child = spawn(GCC, [...args, '-o', partial], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => fail(new Error(`cannot run ${GCC} (the RISC-V cross toolchain is required): ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        rmSync(partial, { force: true });
        fail(new Error(`${GCC} ${args.join(' ')} failed (status ${code}):\n${stderr}`));
        return;
      }
      renameSync(partial, out);
      done();
    });
  });
}

/** A function that runs async jobs with at most `limit` of them under way at a time. */
export function limiter(limit: number): <R>(job: () => Promise<R>) => Promise<R> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <R>(job: () => Promise<R>): Promise<R> => {
    // A finishing job hands its slot straight to the first waiting one.
    if (running >= limit) await new Promise<void>((go) => waiting.push(go));
    else running++;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Child processes (compilers, QEMU) at a time. */
export const JOBS = Math.max(1, availableParallelism());

/**
 * Builds the given tests with this directory's environment (only those not in
 * the cache yet) and returns the path of each ELF, by test id.
 */
export async function buildTests(tests: TestProgram[]): Promise<Map<string, string>> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const paths = new Map<string, string>();
  const missing: TestProgram[] = [];
  for (const t of tests) {
    const elf = join(dir, `${t.id}.elf`);
    paths.set(t.id, elf);
    if (!existsSync(elf)) missing.push(t);
  }
  const limit = limiter(JOBS);
  await Promise.all(missing.map((t) => limit(() => compile([...gccFlags('hindsight'), t.source], paths.get(t.id)!))));
  return paths;
}

/** Builds one test with the suite's own env/p (tohost, p_flags 0 segment) and returns the ELF's path. */
export async function buildUpstream(test: TestProgram): Promise<string> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, `${test.id}.upstream.elf`);
  if (!existsSync(elf)) await compile([...gccFlags('upstream'), test.source], elf);
  return elf;
}
