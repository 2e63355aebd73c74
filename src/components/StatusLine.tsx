import type { Phase } from '../session';
import { describeStop, formatCount, formatDuration, formatSpeed } from '../format';

function statusText(phase: Phase): { state: string; text: string } {
  switch (phase.kind) {
    case 'idle':
      return { state: 'idle', text: 'No program running. Choose an example and press Run.' };
    case 'loading':
      return { state: 'running', text: `${phase.program}: loading…` };
    case 'running': {
      if (phase.waiting) {
        return { state: 'waiting', text: `${phase.program}: waiting for console input · ${formatCount(phase.icount)} instructions` };
      }
      const speed = formatSpeed(phase.instructionsPerSecond);
      return { state: 'running', text: `${phase.program}: running · ${formatCount(phase.icount)} instructions${speed && ` · ${speed}`}` };
    }
    case 'finished': {
      const { stop, instructions, elapsedMs, instructionsPerSecond } = phase.result;
      const speed = formatSpeed(instructionsPerSecond);
      const ran = instructions === stop.icount
        ? `${formatCount(stop.icount)} instructions`
        : `${formatCount(stop.icount)} instructions (${formatCount(instructions)} in this run)`;
      const state = stop.reason === 'exit' ? (stop.exitCode === 0 ? 'exited' : 'failed') : 'stopped';
      return { state, text: `${phase.program}: ${describeStop(stop)} · ${ran} in ${formatDuration(elapsedMs)}${speed && ` · ${speed}`}` };
    }
  }
}

export function StatusLine({ phase }: { phase: Phase }) {
  const { state, text } = statusText(phase);
  // While busy, screen readers hold back the ever-changing counters and announce the outcome.
  const busy = phase.kind === 'loading' || (phase.kind === 'running' && !phase.waiting);
  return (
    <p role="status" className="status" data-state={state} aria-busy={busy}>
      <span className="status-dot" aria-hidden="true" />
      {text}
    </p>
  );
}
