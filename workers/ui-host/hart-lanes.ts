// The timeline's hart lanes (several harts): per hart, the share of each
// equal stretch of the recording it ran, from the schedule log; and the
// inter-processor interrupts.
import type { HartLanes } from '../engine-api';
import type { Timeline } from '../replay/timeline';

export function hartLanes(timeline: Timeline, buckets: number): HartLanes {
  const ipis = timeline.machine.schedule.ipis.map((i) => ({ icount: Number(i.icount), from: i.from, to: i.to }));
  return { lanes: laneShares(timeline, buckets), ipis };
}

function laneShares(timeline: Timeline, buckets: number): number[][] {
  const count = timeline.machine.hartCount;
  const n = Math.max(1, Math.min(2000, Math.floor(buckets)));
  const length = timeline.length;
  const lanes = Array.from({ length: count }, () => new Array<number>(n).fill(0));
  if (length === 0n) return lanes;
  const width = Number(length) / n;
  for (const turn of timeline.hartTurns(0n, length)) {
    let s = Number(turn.start);
    const e = Number(turn.end);
    while (s < e) {
      const b = Math.min(n - 1, Math.floor(s / width));
      const bucketEnd = (b + 1) * width;
      const upTo = Math.min(e, bucketEnd);
      lanes[turn.hart][b] += (upTo - s) / width;
      s = upTo <= s ? e : upTo;
    }
  }
  return lanes.map((lane) => lane.map((v) => Math.min(1, v)));
}
