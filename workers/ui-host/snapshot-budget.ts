// The browser's snapshot budget: how many bytes of snapshots a timeline in
// this tab may keep. A setting (MiB) if the user chose one, otherwise a
// fraction of the storage quota the browser grants the site (its own
// measure of how much this machine can spare), within fixed bounds. The
// timeline thins its snapshots to stay within it (docs/time-travel.md).
const MiB = 1024 * 1024;

/** The default is this fraction of the quota... */
export const QUOTA_FRACTION = 0.1;
/** ...but at least this... */
export const MIN_DEFAULT_BUDGET = 64 * MiB;
/** ...and at most this (what a tab's memory can hold next to a large guest). */
export const MAX_DEFAULT_BUDGET = 1024 * MiB;
/** Without a quota from the browser. */
export const FALLBACK_BUDGET = 512 * MiB;
/** A setting below this is raised to it (fewer snapshots than this make every seek replay far). */
export const MIN_SETTING_MIB = 16;
export const MAX_SETTING_MIB = 16384;

export interface SnapshotBudget {
  bytes: number;
  /** The user's setting in MiB, or null for the default. */
  settingMiB: number | null;
  /** The default, from the quota (or the fallback). */
  defaultBytes: number;
}

/** The budget for a setting (MiB, or null) and the browser's quota (bytes, if it gives one). */
export function snapshotBudget(settingMiB: number | null, quota: number | undefined): SnapshotBudget {
  const defaultBytes = quota !== undefined && Number.isFinite(quota) && quota > 0
    ? Math.min(MAX_DEFAULT_BUDGET, Math.max(MIN_DEFAULT_BUDGET, Math.floor(quota * QUOTA_FRACTION)))
    : FALLBACK_BUDGET;
  if (settingMiB === null) return { bytes: defaultBytes, settingMiB: null, defaultBytes };
  const mib = checkSettingMiB(settingMiB);
  return { bytes: mib * MiB, settingMiB: mib, defaultBytes };
}

/** A setting as the budget takes it: a whole number of MiB within the bounds. */
export function checkSettingMiB(mib: number): number {
  if (!Number.isFinite(mib)) throw new RangeError(`the snapshot budget must be a number of MiB, not ${mib}`);
  return Math.min(MAX_SETTING_MIB, Math.max(MIN_SETTING_MIB, Math.round(mib)));
}
