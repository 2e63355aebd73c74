import { memo } from 'react';
import type { MotionSummary, PositionView, SessionStatus, TrapInfo, UserEndInfo } from '../../workers/engine-api';
import type { Busy } from '../debugger/controller';
import { describeEnd, describeStop, formatCount, formatSpeed, shortHex } from '../format';

interface Props {
  view: PositionView;
  status: SessionStatus;
  busy: Busy | null;
  lastStop: MotionSummary | null;
  traps: readonly TrapInfo[];
  /** Where the scrubber is while a seek is on its way. */
  position: number;
  seeking: boolean;
  /** Where the user's own code last ran (the End key's first stop), when known. */
  userEnd?: UserEndInfo | null;
}

/** The current icount and pc, why the last motion stopped, or what is running. */
export const StatusLine = memo(function StatusLine({ view, status, busy, lastStop, traps, position, seeking, userEnd }: Props) {
  let state = 'stopped';
  let text: string;
  if (busy) {
    state = busy.kind === 'record' ? 'recording' : 'running';
    const parts = [`${busy.activity[0].toUpperCase()}${busy.activity.slice(1)}…`];
    if (status.phase === 'waiting-input') {
      state = 'waiting';
      parts[0] = 'Waiting for console input…';
    }
    if (busy.icount !== undefined) parts.push(`icount ${formatCount(busy.icount)}`);
    if (busy.fraction !== undefined) parts.push(`${Math.round(busy.fraction * 100)}%`);
    const speed = formatSpeed(busy.speed);
    if (speed && status.phase !== 'waiting-input') parts.push(speed);
    text = parts.join(' · ');
  } else {
    const shown = seeking ? position : view.icount;
    const parts = [`icount ${formatCount(shown)} of ${formatCount(status.length)}`, view.pcLabel.startsWith('0x') ? `pc ${shortHex(view.pc)}` : `pc ${shortHex(view.pc)} <${view.pcLabel}>`, view.instruction];
    const why = lastStop ? describeStop(lastStop, traps, status) : '';
    if (why) parts.push(why);
    else if (view.icount === status.length && status.ended) parts.push(`end of the recording: ${describeEnd(status.ended)}`);
    else if (status.ended && userEnd && view.icount === userEnd.icount) parts.push('the last of your code that ran (End again: the last instruction)');
    if (lastStop?.reason === 'exit' || (status.ended && view.icount === status.length)) state = status.ended?.exitCode === 0 ? 'exited' : 'failed';
    text = parts.join(' · ');
  }
  return (
    <p role="status" className="status" data-state={state} aria-live="polite" aria-busy={busy !== null || seeking}>
      <span className="status-dot" aria-hidden="true" />
      <span className="status-text">{text}</span>
    </p>
  );
});
