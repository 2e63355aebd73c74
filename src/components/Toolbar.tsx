import { memo, useId, useState, type FormEvent, type RefObject } from 'react';
import type { DebugInfoState, InstructionMotion, LineMotion, Motion, RecordingPhase } from '../../workers/engine-api';
import { SHORTCUTS, tooltip, type Action } from '../debugger/shortcuts';
import { formatCount, parseIcount } from '../format';
import { Icon, type IconName } from './Icon';

interface Props {
  /** Recording controls are shown for recordings made in this tab. */
  live: boolean;
  phase: RecordingPhase;
  busy: { kind: 'record' | 'motion'; motion?: Motion } | null;
  length: number;
  /** Whether the program has line information (the line motions need it). */
  debugInfo: DebugInfoState;
  onRecord: () => void;
  onStop: () => void;
  onMove: (motion: Motion) => void;
  onPause: () => void;
  onJump: (icount: number) => void;
  jumpRef?: RefObject<HTMLInputElement | null>;
}

const MOTIONS: { motion: InstructionMotion; label: string }[] = [
  { motion: 'reverse-continue', label: 'Reverse continue' },
  { motion: 'reverse-step-over', label: 'Reverse step over' },
  { motion: 'reverse-step', label: 'Reverse step' },
  { motion: 'step', label: 'Step' },
  { motion: 'step-over', label: 'Step over' },
  { motion: 'continue', label: 'Continue' },
];

const LINE_MOTIONS: { motion: LineMotion; label: string; what: string }[] = [
  { motion: 'reverse-step-out', label: 'Reverse step out', what: 'back to where this function was called' },
  { motion: 'reverse-step-over-line', label: 'Reverse step over line', what: 'back to the previous line, over calls' },
  { motion: 'reverse-step-line', label: 'Reverse step line', what: 'back to the previous line, into calls' },
  { motion: 'step-line', label: 'Step line', what: 'to the next line, into calls' },
  { motion: 'step-over-line', label: 'Step over line', what: 'to the next line, over calls' },
  { motion: 'step-out', label: 'Step out', what: 'to the return of this function' },
];

/** Why the line motions cannot be used, if they cannot. */
export function noLineMotions(debugInfo: DebugInfoState): string | null {
  if (debugInfo === 'available') return null;
  if (debugInfo === 'none') return 'This program has no line information (built without -g, or stripped): step by instruction.';
  return 'This build of Hindsight cannot read line information: step by instruction.';
}

function ControlButton({ label, icon, action, disabled, onClick, className, title }: {
  label: string; icon: IconName; action: Action; disabled: boolean; onClick: () => void; className?: string; title?: string;
}) {
  return (
    <button
      type="button"
      className={`control ${className ?? ''}`}
      title={title ?? tooltip(label, action)}
      aria-keyshortcuts={SHORTCUTS[action].aria}
      disabled={disabled}
      onClick={onClick}
    >
      <Icon name={icon} />
      <span className="control-label">{label}</span>
    </button>
  );
}

/** Record and Stop, the six motions by instruction and the six by line, Pause, and a box to jump to an icount. */
export const Toolbar = memo(function Toolbar({ live, phase, busy, length, debugInfo, onRecord, onStop, onMove, onPause, onJump, jumpRef }: Props) {
  const jumpId = useId();
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const t = parseIcount(jump);
    if (t === undefined) {
      setJumpError('an instruction count: digits only');
      return;
    }
    setJumpError(null);
    onJump(Math.min(t, length));
  };
  const recording = busy?.kind === 'record';
  return (
    <div className="toolbar" role="toolbar" aria-label="Debugger controls">
      {live && (
        <div className="control-group">
          <ControlButton label="Record" icon="record" action="record" className="record" disabled={busy !== null || phase !== 'live'} onClick={onRecord} />
          <ControlButton label="Stop" icon="stop" action="stop" disabled={!recording} onClick={onStop} />
        </div>
      )}
      <div className="control-group">
        {MOTIONS.map(({ motion, label }) => (
          <ControlButton key={motion} label={label} icon={motion} action={motion} disabled={busy !== null} onClick={() => onMove(motion)} />
        ))}
      </div>
      <div className="control-group line-motions" role="group" aria-label="Step by source line">
        {LINE_MOTIONS.map(({ motion, label, what }) => {
          const why = noLineMotions(debugInfo);
          return (
            <ControlButton
              key={motion}
              label={label}
              icon={motion}
              action={motion}
              className="line"
              disabled={busy !== null || why !== null}
              title={why ? `${label}: unavailable. ${why}` : `${tooltip(label, motion)}: ${what}`}
              onClick={() => onMove(motion)}
            />
          );
        })}
      </div>
      <div className="control-group">
        <ControlButton label="Pause" icon="pause" action="pause" disabled={busy === null} onClick={onPause} />
      </div>
      <form className="jump" onSubmit={submit}>
        <label htmlFor={jumpId}>Go to icount</label>
        <input
          id={jumpId}
          ref={jumpRef}
          type="text"
          inputMode="numeric"
          value={jump}
          onChange={(e) => { setJump(e.target.value); setJumpError(null); }}
          placeholder={`0 – ${formatCount(length)}`}
          aria-invalid={jumpError !== null}
          aria-describedby={jumpError ? `${jumpId}-error` : undefined}
          title={`Jump to an instruction count (${SHORTCUTS.jump.label})`}
          aria-keyshortcuts={SHORTCUTS.jump.aria}
          size={12}
          autoComplete="off"
        />
        <button type="submit" disabled={busy !== null}>Go</button>
        {jumpError && <span id={`${jumpId}-error`} className="inline-error">{jumpError}</span>}
      </form>
    </div>
  );
});
