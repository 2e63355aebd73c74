import { memo, useMemo, type ReactNode } from 'react';
import type { ConsoleEvent, NoteInfo, RunLanes, SessionStatus } from '../../workers/engine-api';
import { callRows, consoleItems, exitMark, noteItems, trapItems, type LaneItem, type LaneWindow } from '../lib/lanes';
import { formatCount } from '../format';

interface Props {
  window: LaneWindow;
  /** The run's shape from the engine (null until it has some). */
  run: RunLanes | null;
  console: readonly ConsoleEvent[];
  notes: readonly NoteInfo[];
  ended: SessionStatus['ended'];
  disabled: boolean;
  onSeek: (icount: number) => void;
}

/** Depth rows of the call lane shown: main, what it calls, and what they call. */
const CALL_ROWS = 3;
/** Pixels of text per character when the page cannot measure (no canvas). */
const CHAR_PX = 6.2;
const FONT_PX = 10;

let measure: CanvasRenderingContext2D | null | undefined;
/** The width of `text` at the lanes' font: measured, so that a name is shown only where it fits whole. */
function textWidth(text: string): number {
  if (measure === undefined) {
    try {
      measure = document.createElement('canvas').getContext('2d');
      if (measure) measure.font = `${FONT_PX}px ${getComputedStyle(document.body).getPropertyValue('--sans') || 'sans-serif'}`;
    } catch {
      measure = null;
    }
  }
  return measure ? measure.measureText(text).width : text.length * CHAR_PX;
}

const fits = (text: string, px: number): boolean => px > 0 && textWidth(text) + 2 <= px;

/** A click while a motion runs is ignored (as a scrub is); the marks are not greyed out for each step. */
function Items({ items, disabled, onSeek }: { items: readonly LaneItem[]; disabled: boolean; onSeek: (icount: number) => void }) {
  return items.map((item) => (
    <button
      key={item.key}
      type="button"
      tabIndex={-1}
      className={`lane-item ${item.className}${item.text ? ' named' : ''}`}
      style={item.right !== undefined ? { right: item.right } : item.width > 0 ? { left: item.left, width: item.width } : { left: item.left }}
      aria-label={item.label}
      title={item.label}
      aria-disabled={disabled || undefined}
      onClick={() => { if (!disabled) onSeek(item.icount); }}
    >
      {item.text}
    </button>
  ));
}

function Lane({ name, label, width, rows, children }: { name: string; label: string; width: number; rows?: number; children: ReactNode }) {
  return (
    <div className={`run-lane run-lane-${name}`} role="group" aria-label={label}>
      <div className="run-lane-cells" style={rows ? { width, height: `calc(${rows} * var(--lane-row))` } : { width }}>{children}</div>
      <span className="run-lane-name" aria-hidden="true">{name}</span>
    </div>
  );
}

/**
 * The lanes under the scrubber: which function ran when (flame-chart rows),
 * traps and interrupts by cause, console output and input, notes and the mark
 * of a failed exit. Each mark is a button that goes to its instant; they
 * follow the timeline's zoom. Keyboard users travel with the slider; the
 * marks are for the pointer and for screen readers (not in the Tab order).
 */
export const TimelineLanes = memo(function TimelineLanes({ window: w, run, console: events, notes, ended, disabled, onSeek }: Props) {
  const rows = useMemo(() => (run ? callRows(run.calls, w, CALL_ROWS, fits) : []), [run, w]);
  const traps = useMemo(() => (run ? trapItems(run.traps, w) : []), [run, w]);
  const output = useMemo(() => consoleItems(events, w), [events, w]);
  const marks = useMemo(() => {
    const items = noteItems(notes, w);
    const exit = exitMark(ended, run?.userEnd ?? null);
    if (exit && exit.icount >= w.start && exit.icount <= w.end) {
      const at = ((exit.icount - w.start) / Math.max(1, w.end - w.start)) * w.width;
      // The flag's text goes left of the mark (the end is on the right), right of it when there is no room; its box fits its text.
      const room = at >= textWidth(exit.text) + 16;
      items.push({
        key: 'exit', left: at, width: 0, ...(room ? { right: w.width - at - 1 } : {}), icount: exit.icount, label: exit.label,
        className: `exit-mark ${room ? 'exit-mark-left' : 'exit-mark-right'}`, text: exit.text,
      });
    }
    return items;
  }, [notes, ended, run, w]);
  const mapping = run && !run.done ? ` (mapping the run: ${Math.round(run.fraction * 100)}%)` : '';
  const scanned = run && run.trapsTruncated ? ` (looked for up to icount ${formatCount(run.trapsScannedTo)})` : '';
  const unscannedLeft = run && run.trapsTruncated && run.trapsScannedTo < w.end
    ? Math.max(0, ((run.trapsScannedTo - w.start) / Math.max(1, w.end - w.start)) * w.width) : undefined;
  return (
    <div className="run-lanes">
      {rows.length > 0 && (
        <Lane name="calls" label={`Function calls${mapping}`} width={w.width} rows={rows.length}>
          {rows.map((row, depth) => (
            <div key={depth} className="lane-row" style={{ top: `calc(${depth} * var(--lane-row))` }}>
              <Items items={row} disabled={disabled} onSeek={onSeek} />
            </div>
          ))}
        </Lane>
      )}
      {run && (run.traps.length > 0 || run.trapsTruncated) && (
        <Lane name="traps" label={`Traps and interrupts${scanned}`} width={w.width}>
          <Items items={traps} disabled={disabled} onSeek={onSeek} />
          {unscannedLeft !== undefined && <i className="lane-unscanned" style={{ left: unscannedLeft }} title="Traps were not looked for here (the scan's budget ran out)" />}
        </Lane>
      )}
      {events.length > 0 && (
        <Lane name="console" label="Console output and input" width={w.width}>
          <Items items={output} disabled={disabled} onSeek={onSeek} />
        </Lane>
      )}
      {marks.length > 0 && (
        <Lane name="notes" label="Notes and marks" width={w.width}>
          <Items items={marks} disabled={disabled} onSeek={onSeek} />
        </Lane>
      )}
    </div>
  );
});
