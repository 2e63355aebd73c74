import { memo, useId, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ConsoleEvent, RecordingPhase } from '../../workers/engine-api';
import { consoleRuns, eventsUpTo } from '../lib/console-model';
import { formatCount } from '../format';

interface Props {
  events: readonly ConsoleEvent[];
  /** The console shows what happened up to this position. */
  position: number;
  phase: RecordingPhase;
  /** Sample input offered for the program (examples that read input). */
  sampleInput?: string;
  onSend: (text: string) => void;
  onEndInput: () => void;
}

/** Everything the program printed up to the current position, and the input it received (marked). */
export const ConsolePanel = memo(function ConsolePanel({ events, position, phase, sampleInput, onSend, onEndInput }: Props) {
  const headingId = useId();
  const inputId = useId();
  const [line, setLine] = useState('');
  const logRef = useRef<HTMLDivElement>(null);
  const count = eventsUpTo(events, position);
  const { runs, dropped } = useMemo(() => consoleRuns(events, count), [events, count]);
  const later = events.length - count;
  const live = phase !== 'fixed';

  // Follow the end of the output.
  useLayoutEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [runs]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSend(`${line}\n`);
    setLine('');
  };

  return (
    <section className="panel console" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Console</h2>
        {later > 0 && <span className="muted small-text">{formatCount(later)} later {later === 1 ? 'event' : 'events'} not shown (after this position)</span>}
      </div>
      <div ref={logRef} className="panel-body console-log" tabIndex={0} aria-label="Console output" role="log">
        {runs.length === 0 ? (
          <p className="console-empty">{count === 0 && events.length > 0 ? 'Nothing printed yet at this position.' : 'The program’s output appears here.'}</p>
        ) : (
          <pre>
            {dropped > 0 && <span className="stream-note">[{formatCount(dropped)} earlier characters not shown]{'\n'}</span>}
            {runs.map((run, i) => run.kind === 'eof'
              ? <span key={i} className="stream-note" title={`icount ${formatCount(run.icount)}`}>[end of input]{'\n'}</span>
              : (
                <span key={i} className={`stream-${run.kind}`} title={run.kind === 'stdin' ? `input received at icount ${formatCount(run.icount)}` : undefined}>
                  {run.kind === 'stdin' && <span className="visually-hidden">input: </span>}
                  {run.text}
                </span>
              ))}
          </pre>
        )}
      </div>
      {live && (
        <form className="console-input" onSubmit={submit}>
          <label htmlFor={inputId}>Console input</label>
          <input
            id={inputId}
            type="text"
            value={line}
            onChange={(e) => setLine(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            placeholder={phase === 'waiting-input' ? 'The program is waiting for a line' : 'A line for the program'}
            className={phase === 'waiting-input' ? 'waiting' : undefined}
          />
          <button type="submit">Send line</button>
          <button type="button" onClick={onEndInput} title="The program reads end of file">End input</button>
          {sampleInput !== undefined && (
            <button type="button" onClick={() => onSend(sampleInput)} title={sampleInput}>
              Send sample input
            </button>
          )}
        </form>
      )}
    </section>
  );
});
