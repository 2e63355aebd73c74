/** Offers bytes as a file download. */
export function download(name: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  const blob = new Blob([bytes.slice().buffer as ArrayBuffer], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Reads a File as bytes, with a message that names it when that fails. */
export async function readFile(file: File): Promise<Uint8Array> {
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    throw new Error(`Cannot read ${file.name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const SOURCE_EXTENSIONS = /\.(c|h|cc|cpp|cxx|hpp|hh|s|S|asm|rs|zig|txt|inc|ld)$/;

/** Whether a dropped file looks like a source file (to add to the source view) rather than a program or recording. */
export function isSourceFile(name: string): boolean {
  return SOURCE_EXTENSIONS.test(name);
}
