import { Component, memo, Suspense, use, useCallback, useId, useMemo, useState, type ChangeEvent, type ReactNode } from 'react';
import type { DebugInfoState, ExecutedLines, Listing, SourcePosition, StackFrame, TrapInfo } from '../../workers/engine-api';
import { MonacoView, loadMonaco, type LineDecoration } from '../monaco/MonacoView';
import { LibraryDisassembly } from './LibraryDisassembly';

interface Props {
  debugInfo: DebugInfoState;
  /** Where the pc is in the source, if the debug info says. */
  position: SourcePosition | undefined;
  pcLabel: string;
  traps: readonly TrapInfo[];
  /** The call-stack frame chosen to be shown instead of the pc's line (an outer frame), if any. */
  frame?: StackFrame | undefined;
  /** Lines that ran during the last motion. */
  executed?: readonly ExecutedLines[];
  /** The line of the instruction that accessed a watched place, when stopped for it. */
  accessed?: SourcePosition | undefined;
  busy?: boolean;
  /** The text of a source file the session has (a cached promise per name). */
  sourceText: (name: string) => Promise<string>;
  onToggleLine: (file: string, line: number) => void;
  onAddFiles: (files: File[]) => void;
  /** Go to the last (or next) time a line ran. */
  onRunToLine?: (file: string, line: number, direction: 'backward' | 'forward') => void;
  /** For code whose source is not at hand: the disassembly is shown instead (the program's listing, the code around the pc). */
  listing?: { program: Listing; local: Listing | undefined; pc: number; onToggleBreakpoint: (address: number) => void };
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, '');

export interface SourceMarks {
  /** The line of the pc (in this file). */
  pcLine?: number | undefined;
  /** The line of the chosen outer frame (a call in progress). */
  frameLine?: number | undefined;
  executed?: readonly number[];
  accessedLine?: number | undefined;
}

/** The source view's line decorations: breakpoints, the pc's line, the chosen frame's, lines just run, the accessing line. */
export function sourceDecorations(file: string, traps: readonly TrapInfo[], marks: SourceMarks): LineDecoration[] {
  const out: LineDecoration[] = [];
  const prefix = `${baseName(file)}:`;
  const lines = new Map<number, boolean>();
  for (const t of traps) {
    if (!t.source?.startsWith(prefix)) continue;
    const n = Number(t.source.slice(prefix.length));
    lines.set(n, (lines.get(n) ?? false) || t.enabled);
  }
  const { pcLine, frameLine, accessedLine } = marks;
  const classOf = (n: number): string | undefined => {
    if (n === pcLine) return 'line-current';
    if (n === frameLine) return 'line-frame';
    if (n === accessedLine) return 'line-accessed';
    return undefined;
  };
  for (const [n, enabled] of lines) {
    const className = classOf(n);
    out.push({ line: n, glyph: `${enabled ? 'glyph-breakpoint' : 'glyph-breakpoint-disabled'}${n === pcLine ? ' glyph-at-pc' : ''}`, hover: `Breakpoint at ${prefix}${n}. Click to remove.`, ...(className ? { className } : {}) });
  }
  if (pcLine !== undefined && !lines.has(pcLine)) out.push({ line: pcLine, className: 'line-current', glyph: 'glyph-current', hover: 'the line of the pc' });
  if (frameLine !== undefined && frameLine !== pcLine && !lines.has(frameLine)) {
    out.push({ line: frameLine, className: 'line-frame', glyph: 'glyph-frame', hover: 'the call in progress in the chosen frame' });
  }
  if (accessedLine !== undefined && accessedLine !== pcLine && accessedLine !== frameLine && !lines.has(accessedLine)) {
    out.push({ line: accessedLine, className: 'line-accessed', glyph: 'glyph-accessed', hover: 'the line of the instruction that accessed the watched memory' });
  }
  for (const n of marks.executed ?? []) {
    if (n === pcLine || n === frameLine || n === accessedLine) continue;
    out.push({ line: n, className: 'line-executed' });
  }
  return out;
}

function SourceEditor({ name, file, line, marks, traps, sourceText, onToggleLine, onCursorLine }: {
  name: string; file: string; line: number; marks: SourceMarks; traps: readonly TrapInfo[]; sourceText: (name: string) => Promise<string>;
  onToggleLine: (file: string, line: number) => void; onCursorLine: (line: number) => void;
}) {
  const text = use(sourceText(name));
  const { languageFor } = use(loadMonaco());
  const decorations = useMemo(() => sourceDecorations(file, traps, marks), [file, traps, marks]);
  const onGutterClick = useCallback((n: number) => onToggleLine(file, n), [file, onToggleLine]);
  return (
    <MonacoView
      value={text}
      language={languageFor(name)}
      label={`Source: ${name}`}
      decorations={decorations}
      reveal={{ line, key: `${name}:${line}` }}
      onGutterClick={onGutterClick}
      onCursorLine={onCursorLine}
    />
  );
}

class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: string | null; key: string }> {
  override state = { error: null as string | null, key: this.props.resetKey };
  static getDerivedStateFromError(e: unknown) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
  static getDerivedStateFromProps(props: { resetKey: string }, state: { key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  override render() {
    return this.state.error ? <p className="inline-error" role="alert">{this.state.error}</p> : this.props.children;
  }
}

/** The source line of the pc in Monaco, when the debug info gives one and the file is at hand. */
export const SourcePanel = memo(function SourcePanel({
  debugInfo, position: pcPosition, pcLabel, traps, frame, executed, accessed, busy = false, sourceText, onToggleLine, onAddFiles, onRunToLine, listing,
}: Props) {
  const headingId = useId();
  const fileId = useId();
  const [cursor, setCursor] = useState<{ file: string; line: number } | null>(null);
  // An outer frame chosen in the call stack: its call line; else the pc's.
  const position: SourcePosition | undefined = useMemo(() => (frame?.file !== undefined && frame.line !== undefined
    ? { file: frame.file, line: frame.line, ...(frame.source ? { source: frame.source } : {}), ...(frame.function ? { function: frame.function } : {}) }
    : pcPosition), [frame, pcPosition]);
  const file = position?.file;
  const executedHere = useMemo(() => executed?.find((e) => e.file === file)?.lines ?? [], [executed, file]);
  const marks = useMemo<SourceMarks>(() => ({
    pcLine: pcPosition && pcPosition.file === file ? pcPosition.line : undefined,
    frameLine: frame && position && frame.file === file ? position.line : undefined,
    executed: executedHere,
    accessedLine: accessed && accessed.file === file ? accessed.line : undefined,
  }), [pcPosition, frame, position, file, executedHere, accessed]);
  const onCursorLine = useCallback((line: number) => { if (file) setCursor({ file, line }); }, [file]);
  const targetLine = cursor && cursor.file === file ? cursor.line : position?.line;
  const pick = (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    if (files.length > 0) onAddFiles(files);
  };
  let body: ReactNode;
  if (debugInfo === 'unsupported') {
    body = <p className="placeholder">Source view: not available yet. This build of Hindsight has no DWARF reader, so it cannot map instructions to source lines.</p>;
  } else if (debugInfo === 'none') {
    body = <p className="placeholder">This program has no line information (it was built without <code>-g</code>, or stripped): debug it in the disassembly.</p>;
  } else if (!position) {
    body = <p className="placeholder">No source line for the code at the pc ({pcLabel}).</p>;
  } else if (!position.source && listing) {
    const framePc = frame ? Number(BigInt(frame.pc)) : undefined;
    body = (
      <LibraryDisassembly position={position} program={listing.program} local={listing.local} address={framePc ?? listing.pc}
        atPc={framePc === undefined} traps={traps} onToggleBreakpoint={listing.onToggleBreakpoint} />
    );
  } else if (!position.source) {
    body = (
      <p className="placeholder">
        Line {position.line} of <code>{position.file}</code>{position.function ? <> in <code>{position.function}</code></> : null}. This source file is not at hand:
        drop it on the page, or add it here.
      </p>
    );
  } else {
    body = (
      <ErrorBoundary resetKey={position.source}>
        <Suspense fallback={<p className="muted loading">Loading the source…</p>}>
          <SourceEditor name={position.source} file={position.file} line={position.line} marks={marks} traps={traps} sourceText={sourceText} onToggleLine={onToggleLine} onCursorLine={onCursorLine} />
        </Suspense>
      </ErrorBoundary>
    );
  }
  return (
    <section className="panel source" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Source</h2>
        {position && (
          <span className="muted small-text panel-subtitle">
            {baseName(position.file)}:{position.line}{position.function ? ` · ${position.function}` : ''}{frame ? ' (chosen frame)' : ''}
          </span>
        )}
        {onRunToLine && position && targetLine !== undefined && (
          <span className="line-actions">
            <button
              type="button"
              className="small"
              aria-label="Go to the last time this line ran"
              title={`Go to the last time line ${targetLine} ran (click a line to choose it)`}
              disabled={busy}
              onClick={() => onRunToLine(position.file, targetLine, 'backward')}
            >
              ⟲ Last time line {targetLine} ran
            </button>
            <button
              type="button"
              className="small"
              aria-label="Go to the next time this line runs"
              title={`Go to the next time line ${targetLine} runs (click a line to choose it)`}
              disabled={busy}
              onClick={() => onRunToLine(position.file, targetLine, 'forward')}
            >
              Next time ⟳
            </button>
          </span>
        )}
        {debugInfo === 'available' && (
          <label className="file-button small" htmlFor={fileId} title="Add the program's source files (.c, .h, .S)">
            Add source files…
            <input id={fileId} type="file" multiple className="visually-hidden" onChange={pick} />
          </label>
        )}
      </div>
      <div className="panel-body editor-body">{body}</div>
    </section>
  );
});
