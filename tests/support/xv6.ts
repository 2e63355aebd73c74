// Builds MIT's xv6-riscv from ../shared/third_party/xv6-riscv for the tests:
// the kernel with `make CPUS=1 kernel/kernel`, the user programs the
// Makefile's UPROGS names, and a file-system image of README and those
// programs written by our own xv6fs writer. Built once into a cache folder
// keyed by a hash of the sources (the tree itself is never written to).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve, basename } from 'node:path';
import { makeXv6Fs } from './xv6fs';
import type { Timeline } from '../../workers/replay/timeline';

export const XV6_SOURCE = resolve(import.meta.dirname ?? '.', '../../../shared/third_party/xv6-riscv');

export interface Xv6Build {
  kernelPath: string;
  fsImagePath: string;
  kernel: Uint8Array;
  fsImage: Uint8Array;
}

function hashTree(dir: string, h = createHash('sha256')): ReturnType<typeof createHash> {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { h.update(`d:${name}\n`); hashTree(p, h); }
    else { h.update(`f:${name}\n`); h.update(readFileSync(p)); }
  }
  return h;
}

/** The user programs in the Makefile's UPROGS list (as make targets, e.g. user/_sh). */
function userPrograms(makefile: string): string[] {
  const m = /^UPROGS=\\\n((?:\t.*\\\n)+)/m.exec(makefile);
  if (!m) throw new Error('xv6 Makefile: no UPROGS list');
  return m[1].split('\n').map((l) => l.trim().replace(/\\$/, '')).filter(Boolean).map((t) => t.replace('$U/', 'user/'));
}

/** Builds (or finds in the cache) xv6 from `source` (default: the checkout next to the repository). */
export function buildXv6(source = XV6_SOURCE): Xv6Build {
  if (!existsSync(join(source, 'Makefile'))) throw new Error(`xv6-riscv sources not found at ${source}`);
  const key = hashTree(source).update('xv6fs-1').digest('hex').slice(0, 16);
  const out = join(tmpdir(), `hindsight-xv6-${key}`);
  const kernelPath = join(out, 'kernel');
  const fsImagePath = join(out, 'fs.img');
  if (!existsSync(fsImagePath)) {
    const work = `${out}.build-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    cpSync(source, work, { recursive: true });
    const programs = userPrograms(readFileSync(join(work, 'Makefile'), 'utf8'));
    execFileSync('make', ['-s', '-j2', 'CPUS=1', 'TOOLPREFIX=riscv64-unknown-elf-', 'kernel/kernel', ...programs], { cwd: work, stdio: 'pipe' });
    const files = [{ name: 'README', data: readFileSync(join(work, 'README')) }];
    for (const p of programs) files.push({ name: basename(p).replace(/^_/, ''), data: readFileSync(join(work, p)) });
    mkdirSync(out, { recursive: true });
    writeFileSync(kernelPath + '.tmp', readFileSync(join(work, 'kernel/kernel')));
    renameSync(kernelPath + '.tmp', kernelPath);
    writeFileSync(fsImagePath + '.tmp', makeXv6Fs(files));
    renameSync(fsImagePath + '.tmp', fsImagePath);
    rmSync(work, { recursive: true, force: true });
  }
  return { kernelPath, fsImagePath, kernel: readFileSync(kernelPath), fsImage: readFileSync(fsImagePath) };
}

/** The arguments that boot this build on QEMU as the xv6 Makefile's QEMUOPTS do (one hart). */
export function qemuXv6Args(b: Xv6Build, harts = 1): string[] {
  return [
    '-machine', 'virt', '-bios', 'none', '-kernel', b.kernelPath, '-m', '128M', '-smp', String(harts), '-nographic',
    '-global', 'virtio-mmio.force-legacy=false',
    '-drive', `file=${b.fsImagePath},if=none,format=raw,id=x0`,
    '-device', 'virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0',
  ];
}

/** xv6's shell prompt. */
export const PROMPT = '$ ';

/** Runs `t` until its console output (from `from` on) ends with the shell prompt. */
export async function untilPrompt(t: Timeline, console: { text: string }, from: number, budget: bigint): Promise<void> {
  const deadline = t.icount + budget;
  while (!console.text.slice(from).endsWith(PROMPT)) {
    if (t.icount >= deadline) throw new Error(`no shell prompt within ${budget} instructions; console: ${JSON.stringify(console.text.slice(-300))}`);
    const r = await t.continue({ limit: 20_000_000n });
    if (r.reason !== 'limit') throw new Error(`xv6 stopped: ${r.reason} at pc 0x${r.pc.toString(16)}`);
  }
}
