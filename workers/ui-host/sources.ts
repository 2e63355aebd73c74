// Source files of a session, and how a path the compiler recorded in the
// debug info ("./corruption.c", "/build/src/main.c") finds the file the
// session has ("corruption.c", bundled with the example or dropped in).

/** Path parts without "." and empty parts. */
function parts(path: string): string[] {
  return path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
}

/**
 * The name among `names` that best matches `recorded`: the longest common
 * tail of path parts, at least the file name. Undefined when none matches.
 */
export function matchSource(recorded: string, names: Iterable<string>): string | undefined {
  const want = parts(recorded);
  if (want.length === 0) return undefined;
  let best: string | undefined;
  let bestScore = 0;
  for (const name of names) {
    const have = parts(name);
    let score = 0;
    while (score < want.length && score < have.length && want[want.length - 1 - score] === have[have.length - 1 - score]) score++;
    if (score > bestScore || (score === bestScore && score > 0 && best !== undefined && name.length < best.length)) {
      best = name;
      bestScore = score;
    }
  }
  return bestScore > 0 ? best : undefined;
}

/** Files worth keeping as sources: text of a reasonable size. */
export const MAX_SOURCE_BYTES = 2 * 1024 * 1024;

export class SourceSet {
  private readonly files = new Map<string, string>();
  private readonly cache = new Map<string, string | undefined>();

  constructor(initial: Record<string, string> = {}) {
    this.add(initial);
  }

  add(files: Record<string, string>): void {
    for (const [name, text] of Object.entries(files)) {
      if (name !== '' && typeof text === 'string') this.files.set(name, text);
    }
    this.cache.clear();
  }

  names(): string[] {
    return [...this.files.keys()].sort();
  }

  text(name: string): string | undefined {
    return this.files.get(name);
  }

  /** The session's file for a path from the debug info. */
  find(recorded: string): string | undefined {
    if (!this.cache.has(recorded)) this.cache.set(recorded, matchSource(recorded, this.files.keys()));
    return this.cache.get(recorded);
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries(this.files);
  }

  get size(): number {
    return this.files.size;
  }
}
