import { memo, useCallback, useEffect, useId, useMemo, useState } from 'react';
import type { HistoryAnswer, HistoryWrite, VariableNode, VariablesView } from '../../workers/engine-api';

interface Props {
  /** The position and frame the variables are read at. */
  icount: number;
  frame: number;
  available: boolean;
  busy: boolean;
  length: number;
  load: (frame: number, expressions: string[]) => Promise<VariablesView>;
  expand: (frame: number, expression: string) => Promise<VariableNode[]>;
  history: (expression: string, frame: number) => Promise<HistoryAnswer | undefined>;
  onSeek: (icount: number) => void;
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, '');

/** Where a write happened: "corruption.c:103 in smooth_readings". */
function writeWhere(w: HistoryWrite): string {
  const line = w.source ? `${baseName(w.source.file)}:${w.source.line}` : w.pcLabel;
  return `${line}${w.function ? ` in ${w.function}` : ''}`;
}

/** The write that produced the value seen at `icount`: the last one at or before it. */
export function writeBehind(writes: readonly HistoryWrite[], icount: number): HistoryWrite | undefined {
  let found: HistoryWrite | undefined;
  for (const w of writes) { if (w.icount <= icount) found = w; else break; }
  return found;
}

/** The position that shows a write: the writing instruction at the pc, about to run (its source line). */
export const writePosition = (w: HistoryWrite): number => Math.max(0, w.icount - 1);

interface RowProps {
  node: VariableNode;
  depth: number;
  frame: number;
  changed: boolean;
  expand: Props['expand'];
  onHistory: (node: VariableNode) => void;
  selected: string | null;
  refresh: number;
}

/** One variable, its children when opened (a tree item of the Variables tree). */
function VariableRow({ node, depth, frame, changed, expand, onHistory, selected, refresh }: RowProps) {
  const [open, setOpen] = useState(false);
  const [children, setChildren] = useState<VariableNode[] | null>(null);
  useEffect(() => {
    if (!open) return;
    let live = true;
    expand(frame, node.expression).then((c) => { if (live) setChildren(c); }, () => { if (live) setChildren([]); });
    return () => { live = false; };
  }, [open, frame, node.expression, expand, refresh]);
  return (
    <li role="treeitem" aria-expanded={node.expandable ? open : undefined} aria-selected={selected === node.expression} aria-label={node.name}
      className={`variable${changed ? ' changed' : ''}${selected === node.expression ? ' selected' : ''}`}>
      <div className="variable-row" style={{ paddingLeft: `${depth * 14}px` }}>
        {node.expandable
          ? <button type="button" className="link toggle" aria-label={`${open ? 'Collapse' : 'Expand'} ${node.name}`} onClick={() => setOpen(!open)}>{open ? '▾' : '▸'}</button>
          : <span className="toggle" />}
        <code className="variable-name">{node.name}</code>
        <code className={`variable-value${node.error ? ' error-text' : ''}`} title={node.type}>{node.value}</code>
        {node.address !== undefined && (
          <button type="button" className="link small-text" onClick={() => onHistory(node)} aria-label={`History of ${node.expression}`} title="Every write to it in the recording">
            history
          </button>
        )}
      </div>
      {open && children && children.length > 0 && (
        <ul role="group">
          {children.map((c) => (
            <VariableRow key={c.expression} node={c} depth={depth + 1} frame={frame} changed={false} expand={expand} onHistory={onHistory} selected={selected} refresh={refresh} />
          ))}
        </ul>
      )}
    </li>
  );
}

/** A step plot of a numeric value against the timeline; clicking a step seeks to its write. */
function HistoryPlot({ answer, icount, onPick }: { answer: HistoryAnswer; icount: number; onPick: (w: HistoryWrite) => void }) {
  const W = 360, H = 90, pad = 6;
  const points = answer.writes.filter((w) => w.number !== undefined);
  const values = [answer.initialNumber, ...points.map((w) => w.number)].filter((v): v is number => v !== undefined);
  if (values.length === 0 || answer.length === 0) {
    return <p className="placeholder">Not a number: the writes are marked on the list.</p>;
  }
  const lo = Math.min(...values), hi = Math.max(...values);
  const x = (t: number) => pad + ((W - 2 * pad) * t) / answer.length;
  const y = (v: number) => (hi === lo ? H / 2 : H - pad - ((H - 2 * pad) * (v - lo)) / (hi - lo));
  let d = `M ${x(0)} ${y(answer.initialNumber ?? values[0])}`;
  let prev = answer.initialNumber ?? values[0];
  for (const w of points) { d += ` L ${x(w.icount)} ${y(prev)} L ${x(w.icount)} ${y(w.number as number)}`; prev = w.number as number; }
  d += ` L ${x(answer.length)} ${y(prev)}`;
  return (
    <svg className="history-plot" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Plot of ${answer.expression} against the timeline`}>
      <line x1={x(icount)} x2={x(icount)} y1={0} y2={H} className="plot-now" />
      <path d={d} className="plot-line" />
      {points.map((w, i) => (
        <circle key={i} cx={x(w.icount)} cy={y(w.number as number)} r={3} className="plot-point" onClick={() => onPick(w)}>
          <title>{`icount ${w.icount}: ${w.after} (${writeWhere(w)})`}</title>
        </circle>
      ))}
      <text x={pad} y={10} className="plot-label">{hi}</text>
      <text x={pad} y={H - 1} className="plot-label">{lo}</text>
    </svg>
  );
}

/** Locals and arguments of the selected frame, watched expressions, and the history of a value. */
export const VariablesPanel = memo(function VariablesPanel(p: Props) {
  const headingId = useId();
  const [expressions, setExpressions] = useState<string[]>([]);
  const [text, setText] = useState('');
  const [view, setView] = useState<VariablesView | null>(null);
  const [previous, setPrevious] = useState<Map<string, string>>(new Map());
  const [answer, setAnswer] = useState<HistoryAnswer | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const { icount, frame, available, busy, load } = p;

  useEffect(() => {
    if (!available || busy) return;
    let live = true;
    load(frame, expressions).then((v) => {
      if (!live) return;
      setView((old) => {
        if (old) setPrevious(new Map([...old.args, ...old.locals, ...old.expressions].map((n) => [n.expression, n.value])));
        return v;
      });
      setRefresh((r) => r + 1);
    }, () => {});
    return () => { live = false; };
  }, [icount, frame, available, busy, expressions, load]);

  const onHistory = useCallback(async (node: VariableNode) => {
    setSelected(node.expression);
    const a = await p.history(node.expression, frame);
    if (a) setAnswer(a);
  }, [p, frame]);

  const onAdd = (e: React.FormEvent) => {
    e.preventDefault();
    const x = text.trim();
    if (x && !expressions.includes(x)) setExpressions([...expressions, x]);
    setText('');
  };

  const whoWrote = answer ? writeBehind(answer.writes, icount) : undefined;
  const section = (title: string, nodes: VariableNode[]) => (
    <div className="variables-section">
      <h3>{title}</h3>
      {nodes.length === 0 ? <p className="placeholder">None.</p> : (
        <ul role="tree" aria-label={title}>
          {nodes.map((n) => (
            <VariableRow key={n.expression} node={n} depth={0} frame={frame} changed={previous.has(n.expression) && previous.get(n.expression) !== n.value}
              expand={p.expand} onHistory={(x) => void onHistory(x)} selected={selected} refresh={refresh} />
          ))}
        </ul>
      )}
    </div>
  );
  const list = useMemo(() => answer?.writes ?? [], [answer]);

  return (
    <section className="panel variables-panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Variables</h2>
        {view?.function && <span className="muted small-text">frame {view.frame}: {view.function}</span>}
      </div>
      <div className="panel-body variables-body">
        <div className="variables-list">
        {!available ? <p className="placeholder">No variables: the program has no debug information.</p> : (
          <>
            <form className="expression-form" onSubmit={onAdd}>
              <input type="text" aria-label="Expression" placeholder="expression, e.g. stats.mean or p->next" value={text} onChange={(e) => setText(e.target.value)} />
              <button type="submit" className="small">Watch</button>
            </form>
            {expressions.length > 0 && section('Expressions', view?.expressions ?? [])}
            {section('Arguments', view?.args ?? [])}
            {section('Locals', view?.locals ?? [])}
            {view?.problem && <p className="placeholder">{view.problem}</p>}
          </>
        )}
        </div>
        {answer && (
          <section className="value-history" aria-label="Value history">
            <h3>History of <code>{answer.expression}</code></h3>
            <p className="muted small-text">
              {answer.writes.length} write{answer.writes.length === 1 ? '' : 's'} to {answer.size} bytes at 0x{answer.address.toString(16)} ·
              {' '}{answer.seconds.toFixed(2)} s, {answer.workers} worker{answer.workers === 1 ? '' : 's'}{answer.cancelled ? ' · cancelled' : ''}
            </p>
            <HistoryPlot answer={answer} icount={icount} onPick={(w) => p.onSeek(writePosition(w))} />
            <button type="button" className="small" disabled={!whoWrote || busy} onClick={() => whoWrote && p.onSeek(writePosition(whoWrote))}
              title={whoWrote ? `The write at icount ${whoWrote.icount}` : 'The value here is the one it had at the start'}>
              Who wrote this value?
            </button>
            <ol className="history-writes" aria-label="Writes">
              <li className="muted">start: {answer.initial}</li>
              {list.map((w, i) => (
                <li key={i} className={w === whoWrote ? 'current' : undefined}>
                  <button type="button" className="link" disabled={busy} onClick={() => p.onSeek(writePosition(w))}
                    aria-label={`icount ${w.icount}: ${w.before} to ${w.after} at ${writeWhere(w)}`}>
                    <code>{w.icount.toLocaleString('en-US')}</code> {w.before} → <strong>{w.after}</strong> <span className="muted">{writeWhere(w)}{w.hart ? ` · hart ${w.hart}` : ''}</span>
                  </button>
                </li>
              ))}
            </ol>
          </section>
        )}
      </div>
    </section>
  );
});
