// Small inline icons for the controls (no icon font: the app works offline and
// does not depend on which symbols the system fonts have).
export type IconName =
  | 'record' | 'stop' | 'pause' | 'continue' | 'reverse-continue' | 'step' | 'reverse-step' | 'step-over' | 'reverse-step-over'
  | 'step-line' | 'reverse-step-line' | 'step-over-line' | 'reverse-step-over-line' | 'step-out' | 'reverse-step-out';

const PATHS: Record<IconName, string> = {
  record: 'M8 3a5 5 0 1 0 0 10A5 5 0 0 0 8 3z',
  stop: 'M4 4h8v8H4z',
  pause: 'M4 3h3v10H4zM9 3h3v10H9z',
  continue: 'M2 3l6 5-6 5zM8 3l6 5-6 5z',
  'reverse-continue': 'M14 3L8 8l6 5zM8 3L2 8l6 5z',
  step: 'M3 3l7 5-7 5zM11 3h2v10h-2z',
  'reverse-step': 'M13 3L6 8l7 5zM3 3h2v10H3z',
  'step-over': 'M2 10a6 5 0 0 1 10.5-3.2L14 5v5h-5l1.8-1.8A4 3.4 0 0 0 4 10z',
  'reverse-step-over': 'M14 10a6 5 0 0 0-10.5-3.2L2 5v5h5L5.2 8.2A4 3.4 0 0 1 12 10z',
  // By line: the same shapes over a source line.
  'step-line': 'M3 2l6 4-6 4zM10 5h4v2h-4zM2 12h12v2H2z',
  'reverse-step-line': 'M13 2L7 6l6 4zM2 5h4v2H2zM2 12h12v2H2z',
  'step-over-line': 'M2 8a6 5 0 0 1 10.5-3.2L14 3v5h-5l1.8-1.8A4 3.4 0 0 0 4 8zM2 12h12v2H2z',
  'reverse-step-over-line': 'M14 8a6 5 0 0 0-10.5-3.2L2 3v5h5L5.2 6.2A4 3.4 0 0 1 12 8zM2 12h12v2H2z',
  'step-out': 'M7 14V6H4l4-4 4 4H9v8z',
  'reverse-step-out': 'M7 2v8H4l4 4 4-4H9V2z',
};

export function Icon({ name }: { name: IconName }) {
  return (
    <svg className="icon-svg" width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="currentColor" />
    </svg>
  );
}
