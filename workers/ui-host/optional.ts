// Engine modules the debugger uses when this build has them: the DWARF reader
// (source view) and the snapshot image exporter (qcow2 download). They are
// looked up with import.meta.glob, which yields nothing (rather than a build
// error) for a file that does not exist, so the app builds and works without
// them and picks them up as soon as they are there.
//
// The shapes below are what the debugger needs from each module; they are
// checked at run time, so a module with another shape counts as absent.
import type { ElfImage } from '../formats/elf';
import type { Timeline } from '../replay/timeline';

export interface SourceLocationLike {
  file: string;
  line: number;
}

export interface DebugInfoLike {
  readonly problems: readonly string[];
  lineAt(address: number): SourceLocationLike | undefined;
  addressesForLine(file: string, line: number): number[];
  functionAt(address: number): { name: string } | undefined;
  files(): string[];
}

interface DwarfModule {
  DebugInfo: { fromElf(image: ElfImage): DebugInfoLike };
}

type SnapshotImageExporter = (timeline: Timeline) => Uint8Array | Promise<Uint8Array>;

const dwarfModules = import.meta.glob('../formats/dwarf.ts');
// Eager: the Timeline itself imports this module when it exists, so it costs nothing more.
const imageModules = import.meta.glob('../replay/snapshot-image.ts', { eager: true });

async function load(modules: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
  const entry = Object.values(modules)[0];
  if (!entry) return undefined;
  const mod = typeof entry === 'function' ? await (entry as () => Promise<unknown>)() : entry;
  return typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>) : undefined;
}

let dwarf: Promise<DwarfModule | undefined> | undefined;

/** The DWARF reader, or undefined if this build has none. */
export function loadDwarf(): Promise<DwarfModule | undefined> {
  dwarf ??= load(dwarfModules).then((mod) => {
    const info = mod?.DebugInfo as { fromElf?: unknown } | undefined;
    return info && typeof info.fromElf === 'function' ? (mod as unknown as DwarfModule) : undefined;
  });
  return dwarf;
}

let image: Promise<SnapshotImageExporter | undefined> | undefined;

/** exportSnapshotImage(timeline), or undefined if this build cannot make snapshot images. */
export function loadSnapshotImageExporter(): Promise<SnapshotImageExporter | undefined> {
  image ??= load(imageModules).then((mod) => {
    const fn = mod?.exportSnapshotImage;
    return typeof fn === 'function' ? (fn as SnapshotImageExporter) : undefined;
  });
  return image;
}
