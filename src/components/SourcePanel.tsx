import { Component, memo, Suspense, use, useCallback, useId, useMemo, type ChangeEvent, type ReactNode } from 'react';
import type { DebugInfoState, SourcePosition, TrapInfo } from '../../workers/engine-api';
import { MonacoView, loadMonaco, type LineDecoration } from '../monaco/MonacoView';

interface Props {
  debugInfo: DebugInfoState;
  /** Where the pc is in the source, if the debug info says. */
  position: SourcePosition | undefined;
  pcLabel: string;
  traps: readonly TrapInfo[];
  /** The text of a source file the session has (a cached promise per name). */
  sourceText: (name: string) => Promise<string>;
  onToggleLine: (file: string, line: number) => void;
  onAddFiles: (files: File[]) => void;
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, '');

function SourceEditor({ name, file, line, traps, sourceText, onToggleLine }: {
  name: string; file: string; line: number; traps: readonly TrapInfo[]; sourceText: (name: string) => Promise<string>;
  onToggleLine: (file: string, line: number) => void;
}) {
  const text = use(sourceText(name));
  const { languageFor } = use(loadMonaco());
  const decorations = useMemo(() => {
    const out: LineDecoration[] = [];
    const prefix = `${baseName(file)}:`;
    const lines = new Map<number, boolean>();
    for (const t of traps) {
      if (!t.source?.startsWith(prefix)) continue;
      const n = Number(t.source.slice(prefix.length));
      lines.set(n, (lines.get(n) ?? false) || t.enabled);
    }
    for (const [n, enabled] of lines) {
      out.push({ line: n, glyph: `${enabled ? 'glyph-breakpoint' : 'glyph-breakpoint-disabled'}${n === line ? ' glyph-at-pc' : ''}`, hover: `Breakpoint at ${prefix}${n}. Click to remove.`, ...(n === line ? { className: 'line-current' } : {}) });
    }
    if (!lines.has(line)) out.push({ line, className: 'line-current', glyph: 'glyph-current', hover: 'the line of the pc' });
    return out;
  }, [traps, file, line]);
  const onGutterClick = useCallback((n: number) => onToggleLine(file, n), [file, onToggleLine]);
  return (
    <MonacoView
      value={text}
      language={languageFor(name)}
      label={`Source: ${name}`}
      decorations={decorations}
      reveal={{ line, key: `${name}:${line}` }}
      onGutterClick={onGutterClick}
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
export const SourcePanel = memo(function SourcePanel({ debugInfo, position, pcLabel, traps, sourceText, onToggleLine, onAddFiles }: Props) {
  const headingId = useId();
  const fileId = useId();
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
          <SourceEditor name={position.source} file={position.file} line={position.line} traps={traps} sourceText={sourceText} onToggleLine={onToggleLine} />
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
            {baseName(position.file)}:{position.line}{position.function ? ` · ${position.function}` : ''}
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
