// The snapshot budget setting, kept in this browser (localStorage) and given
// to the engine at start: MiB, or null for the engine's default.
const KEY = 'hindsight.snapshotBudgetMiB';

export function loadSnapshotBudgetSetting(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): number | null {
  try {
    const raw = storage?.getItem(KEY);
    if (raw === null || raw === undefined) return null;
    const n = Number(raw);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null; // storage blocked: the default
  }
}

export function saveSnapshotBudgetSetting(mib: number | null, storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined = globalThis.localStorage): void {
  try {
    if (mib === null) storage?.removeItem(KEY);
    else storage?.setItem(KEY, String(mib));
  } catch {
    // Not kept across reloads; it still applies to this tab.
  }
}
