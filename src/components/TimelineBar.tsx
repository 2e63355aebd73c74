import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import type { ConsoleEvent, NoteInfo, RunLanes, SessionStatus } from '../../workers/engine-api';
import { visibleMarkers, type Marker, type MarkerKind } from '../lib/markers';
import { formatCount } from '../format';
import { TimelineLanes } from './TimelineLanes';

interface Props {
  /** The recording spans 0 to length. */
  length: number;
  /** Where the thumb is. */
  position: number;
  markers: readonly Marker[];
  /** No scrubbing (a motion or recording runs). */
  disabled: boolean;
  onScrub: (icount: number) => void;
  /** Several harts: per hart, the share of each equal stretch of the whole recording it ran. */
  lanes?: number[][];
  /** The lanes of the run's shape (function calls, traps), as far as the engine has them. */
  run?: RunLanes | null;
  /** For the console lane. */
  consoleEvents?: readonly ConsoleEvent[];
  /** For the notes lane. */
  notes?: readonly NoteInfo[];
  /** How the run ended: a failure is marked where the user's code last ran. */
  ended?: SessionStatus['ended'];
}

const NO_EVENTS: readonly ConsoleEvent[] = [];
const NO_NOTES: readonly NoteInfo[] = [];

const HART_COLORS = ['#4ec9b0', '#c586c0', '#dcdcaa', '#569cd6', '#ce9178', '#9cdcfe', '#d16969', '#b5cea8'];

/** One row per hart: how much of each stretch of the whole recording it ran. */
function HartLanes({ lanes }: { lanes: number[][] }) {
  return (
    <div className="timeline-lanes" role="img" aria-label={`when each of the ${lanes.length} harts ran`}>
      {lanes.map((lane, h) => (
        <div key={h} className="timeline-lane" title={`hart ${h}`}>
          <span className="timeline-lane-name">hart {h}</span>
          <span className="timeline-lane-cells">
            {lane.map((share, i) => <i key={i} style={{ background: HART_COLORS[h % HART_COLORS.length], opacity: share }} />)}
          </span>
        </div>
      ))}
    </div>
  );
}

interface Window {
  start: number;
  end: number;
}

const MARKER_COLORS: Record<MarkerKind, string> = {
  ipi: '#ff79c6',
  output: '#4fc1ff',
  input: '#e5c07b',
  breakpoint: '#f14c4c',
  watchpoint: '#f0a030',
  end: '#98c379',
  note: '#c678dd',
  exit: '#f14c4c',
};

const MARKER_ROWS: Record<MarkerKind, [number, number]> = {
  output: [0.08, 0.38],
  input: [0.08, 0.38],
  breakpoint: [0.62, 0.92],
  watchpoint: [0.62, 0.92],
  end: [0, 1],
  ipi: [0.4, 0.6],
  note: [0, 1],
  exit: [0, 1],
};

/** Smallest visible span, in instructions. */
const MIN_SPAN = 40;

function clampWindow(start: number, span: number, length: number): Window | null {
  if (span >= length) return null;
  const s = Math.max(0, Math.min(length - span, Math.round(start)));
  return { start: s, end: s + Math.round(span) };
}

/**
 * The scrubber: a slider over the whole recording (icount 0 to its length),
 * draggable, with zoom and pan for long recordings and marks for events.
 */
export const TimelineBar = memo(function TimelineBar({ length, position, markers, disabled, onScrub, lanes, run = null, consoleEvents = NO_EVENTS, notes = NO_NOTES, ended = null }: Props) {
  const [zoom, setZoom] = useState<Window | null>(null);
  const [dragging, setDragging] = useState<'thumb' | 'overview' | null>(null);
  const [seen, setSeen] = useState(position);
  const [width, setWidth] = useState(800);
  const trackRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);

  const win: Window = zoom && zoom.end <= length ? zoom : { start: 0, end: length };
  const span = Math.max(1, win.end - win.start);
  const laneWindow = useMemo(() => ({ start: win.start, end: win.end, width }), [win.start, win.end, width]);

  // Follow the position when a motion takes it out of view.
  if (position !== seen) {
    setSeen(position);
    if (zoom && !dragging && (position < zoom.start || position > zoom.end)) {
      setZoom(clampWindow(position - (zoom.end - zoom.start) / 2, zoom.end - zoom.start, length));
    }
  }

  useLayoutEffect(() => {
    const track = trackRef.current;
    if (!track || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => setWidth(Math.max(1, track.clientWidth)));
    observer.observe(track);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ratio = window.devicePixelRatio || 1;
    const height = canvas.clientHeight || 40;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    for (const { marker, x } of visibleMarkers(markers, win.start, win.end, width)) {
      const [top, bottom] = MARKER_ROWS[marker.kind];
      ctx.fillStyle = MARKER_COLORS[marker.kind];
      const wide = marker.kind === 'end' || marker.kind === 'note' || marker.kind === 'exit';
      ctx.fillRect(Math.min(width - 2, x) - (wide ? 1 : 0), top * height, wide ? 3 : 2, (bottom - top) * height);
    }
  }, [markers, win.start, win.end, width]);

  /** The track's box, measured when a drag starts (measuring at every move would force a layout each time). */
  const boxRef = useRef<DOMRect | null>(null);
  const at = (clientX: number): number => {
    const track = trackRef.current;
    if (!track) return position;
    const box = (dragging === 'thumb' && boxRef.current) || track.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (clientX - box.left) / Math.max(1, box.width)));
    return Math.round(win.start + f * span);
  };

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (disabled || e.button !== 0) return;
    try {
      e.currentTarget.setPointerCapture(e.pointerId);
    } catch {
      // Not a live pointer (a synthesized event): dragging works without the capture.
    }
    e.currentTarget.focus();
    boxRef.current = e.currentTarget.getBoundingClientRect();
    setDragging('thumb');
    onScrub(at(e.clientX));
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (dragging === 'thumb' && !disabled) onScrub(at(e.clientX));
  };
  const endDrag = () => setDragging(null);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (disabled) return;
    const big = Math.max(1, Math.round(span / 10));
    let t: number | undefined;
    switch (e.key) {
      case 'ArrowLeft': case 'ArrowDown': t = position - 1; break;
      case 'ArrowRight': case 'ArrowUp': t = position + 1; break;
      case 'PageUp': t = position + big; break;
      case 'PageDown': t = position - big; break;
      case 'Home': t = 0; break;
      case 'End': t = length; break;
      default: return;
    }
    e.preventDefault();
    onScrub(Math.max(0, Math.min(length, t)));
  };

  const zoomAround = (center: number, factor: number) => {
    const newSpan = Math.max(Math.min(MIN_SPAN, length), Math.round(span * factor));
    const f = (center - win.start) / span;
    setZoom(clampWindow(center - f * newSpan, newSpan, length));
  };

  const onWheel = (e: WheelEvent<HTMLDivElement>) => {
    if (length <= 0) return;
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      if (!zoom) return;
      const delta = (e.shiftKey ? e.deltaY : e.deltaX) / 400;
      setZoom(clampWindow(win.start + delta * span, span, length));
      return;
    }
    zoomAround(at(e.clientX), e.deltaY < 0 ? 0.8 : 1.25);
  };

  const overviewAt = (e: PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const f = Math.max(0, Math.min(1, (e.clientX - box.left) / Math.max(1, box.width)));
    setZoom(clampWindow(f * length - span / 2, span, length));
  };

  const fraction = (t: number) => `${(Math.max(0, Math.min(1, (t - win.start) / span)) * 100).toFixed(3)}%`;
  const inView = position >= win.start && position <= win.end;

  return (
    <div className={`timeline${disabled ? ' disabled' : ''}`}>
      <div className="timeline-row">
        <div
          ref={trackRef}
          className="timeline-track"
          role="slider"
          aria-label="Timeline"
          aria-valuemin={0}
          aria-valuemax={length}
          aria-valuenow={position}
          aria-valuetext={`icount ${formatCount(position)} of ${formatCount(length)}`}
          aria-disabled={disabled || undefined}
          aria-keyshortcuts="ArrowLeft ArrowRight PageUp PageDown Home End"
          title="Drag to travel in time. Arrow keys: one instruction; Page Up/Down: a tenth of the view; Home/End: the ends. Wheel: zoom; Shift+wheel: pan."
          tabIndex={0}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onLostPointerCapture={endDrag}
          onKeyDown={onKeyDown}
          onWheel={onWheel}
        >
          <canvas ref={canvasRef} className="timeline-marks" aria-hidden="true" />
          <div className="timeline-played" style={{ width: inView ? fraction(position) : position > win.end ? '100%' : '0%' }} />
          {inView && <div className="timeline-thumb" style={{ left: fraction(position) }} />}
        </div>
        <div className="timeline-zoom" role="group" aria-label="Timeline zoom">
          <button type="button" className="icon" title="Zoom in around the position" aria-label="Zoom in" onClick={() => zoomAround(position, 0.25)} disabled={length <= MIN_SPAN}>+</button>
          <button type="button" className="icon" title="Zoom out" aria-label="Zoom out" onClick={() => zoomAround(position, 4)} disabled={!zoom}>−</button>
          <button type="button" className="icon" title="Show the whole recording" aria-label="Show all" onClick={() => setZoom(null)} disabled={!zoom}>⤢</button>
        </div>
      </div>
      {lanes && lanes.length > 1 && !zoom && <HartLanes lanes={lanes} />}
      <TimelineLanes window={laneWindow} run={run} console={consoleEvents} notes={notes} ended={ended} disabled={disabled} onSeek={onScrub} />
      <div className="timeline-scale" aria-hidden="true">
        <span>{formatCount(win.start)}</span>
        <span className="timeline-legend">
          <i style={{ background: MARKER_COLORS.breakpoint }} />breakpoint
          <i style={{ background: MARKER_COLORS.watchpoint }} />watchpoint
          <i style={{ background: MARKER_COLORS.end }} />end
          {lanes && lanes.length > 1 && <><i style={{ background: MARKER_COLORS.ipi }} />IPI</>}
          {run && run.traps.length > 0 && <><i className="trap-interrupt" />interrupt<i className="trap-ecall" />ecall<i className="trap-breakpoint" />ebreak<i className="trap-fault" />fault</>}
        </span>
        <span>{formatCount(win.end)}</span>
      </div>
      {zoom && (
        <div
          className="timeline-overview"
          title="The whole recording: drag to pan"
          onPointerDown={(e) => {
            try { e.currentTarget.setPointerCapture(e.pointerId); } catch { /* not a live pointer */ }
            setDragging('overview');
            overviewAt(e);
          }}
          onPointerMove={(e) => { if (dragging === 'overview') overviewAt(e); }}
          onPointerUp={endDrag}
          onLostPointerCapture={endDrag}
          aria-hidden="true"
        >
          <div className="overview-window" style={{ left: `${(zoom.start / length) * 100}%`, width: `${Math.max(0.5, ((zoom.end - zoom.start) / length) * 100)}%` }} />
          <div className="overview-position" style={{ left: `${(position / Math.max(1, length)) * 100}%` }} />
        </div>
      )}
    </div>
  );
});
