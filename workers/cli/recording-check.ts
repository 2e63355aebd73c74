// Checks, before a recording from someone else is used, that the machine it
// describes can exist: the codec reads the file, this checks what it says.
import type { ParsedRecording } from '../formats/recording';
import { parseElf, checkLoadable, ElfError } from '../formats/elf';
import { RAM_BASE, MAX_RAM_MIB, DEVICES } from '../engine/memory-map';

export const SECTOR_BYTES = 512;

/**
 * The first thing about this recording's machine that cannot be, or
 * undefined: RAM size out of range (1 to MAX_RAM_MIB MiB, RAM and disk
 * together at most that), a disk that is not whole 512-byte sectors, or a
 * program that does not load into that RAM (the ELF loader's checks).
 */
export function recordingMachineProblem(r: ParsedRecording): string | undefined {
  const ramMiB = r.meta.ramMiB;
  if (!Number.isSafeInteger(ramMiB) || ramMiB < 1 || ramMiB > MAX_RAM_MIB) {
    return `impossible machine: its RAM size is ${ramMiB} MiB; a machine has 1 to ${MAX_RAM_MIB} MiB`;
  }
  const diskBytes = r.disk?.length ?? 0;
  if (diskBytes % SECTOR_BYTES !== 0) {
    return `impossible machine: its disk image is ${diskBytes} bytes, not a whole number of ${SECTOR_BYTES}-byte sectors`;
  }
  if (ramMiB * 1048576 + diskBytes > MAX_RAM_MIB * 1048576) {
    return `impossible machine: its RAM (${ramMiB} MiB) and disk (${diskBytes} bytes) together exceed ${MAX_RAM_MIB} MiB`;
  }
  try {
    const image = parseElf(r.program);
    checkLoadable(image, { name: 'RAM', base: RAM_BASE, size: ramMiB * 1048576 }, DEVICES.map((d) => ({ ...d })));
  } catch (e) {
    if (e instanceof ElfError) return `its program cannot be loaded into its ${ramMiB} MiB machine: ${e.message}`;
    throw e;
  }
  return undefined;
}
