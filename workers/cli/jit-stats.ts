// The translation tier's lines in --stats (run, record, replay).
import type { JitReport } from '../engine/core';

export function jitStatsText(s: JitReport, icount: bigint): string {
  if (!s.enabled) return 'translation: off (--no-jit)\n';
  const share = icount > 0n ? Number(s.instructions * 10000n / icount) / 100 : 0;
  return `translation: ${s.blocksTranslated} blocks translated (${s.blocksReused} reused), ${s.translateMs.toFixed(1)} ms translating, ` +
    `${share.toFixed(2)}% of instructions run translated (${s.blocksRun} blocks entered)\n`;
}
