import { memo, useId } from 'react';
import type { StackFrame } from '../../workers/engine-api';

interface Props {
  /** Innermost first; undefined when the program has no line information. */
  frames: readonly StackFrame[] | undefined;
  /** The frame the source view shows. */
  selected: number;
  onSelect: (index: number) => void;
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, '');

/** Where a frame is, as "file:line" (or its pc when the debug info has no line for it). */
export function frameWhere(f: StackFrame): string {
  return f.file !== undefined && f.line !== undefined ? `${baseName(f.file)}:${f.line}` : f.pc.replace(/^0x0*/, '0x');
}

/** The call stack at the position: one row per frame; choosing one shows its line in the source view. */
export const CallStackPanel = memo(function CallStackPanel({ frames, selected, onSelect }: Props) {
  const headingId = useId();
  let body;
  if (!frames) {
    body = <p className="placeholder">No call stack: the program has no line information.</p>;
  } else if (frames.length === 0) {
    body = <p className="placeholder">No call stack here (the code at the pc has no frame information).</p>;
  } else {
    body = (
      <table className="call-stack" aria-label="Call stack">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Function</th>
            <th scope="col">Where</th>
          </tr>
        </thead>
        <tbody>
          {frames.map((f, i) => {
            const where = frameWhere(f);
            const name = f.function ?? '??';
            return (
              <tr
                key={`${i}:${f.pc}`}
                className={i === selected ? 'selected' : undefined}
                aria-selected={i === selected}
                onClick={() => onSelect(i)}
              >
                <td className="muted">{i}</td>
                <td>
                  <button
                    type="button"
                    className="link frame-button"
                    onClick={(e) => { e.stopPropagation(); onSelect(i); }}
                    title={f.line !== undefined ? `Show ${where} in the source view` : `${name}: no source line`}
                    aria-current={i === selected ? 'true' : undefined}
                  >
                    <code>{name}</code>
                  </button>
                  {f.inlined && <span className="badge badge-inline" title="Inlined into the function below">inlined</span>}
                </td>
                <td><code>{where}</code></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }
  return (
    <section className="panel call-stack-panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Call stack</h2>
      </div>
      <div className="panel-body scroll">{body}</div>
    </section>
  );
});
