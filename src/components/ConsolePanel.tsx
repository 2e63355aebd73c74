import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { acceptsInput, type ConsoleEntry, type Phase } from '../session';

interface Props {
  entries: ConsoleEntry[];
  phase: Phase;
  onSend: (line: string) => void;
  onEndInput: () => void;
  onPause: () => void;
  /** Present when the stopped program can be continued. */
  onContinue: (() => void) | undefined;
}

export function ConsolePanel({ entries, phase, onSend, onEndInput, onPause, onContinue }: Props) {
  const headingId = useId();
  const inputId = useId();
  const [line, setLine] = useState('');
  const logRef = useRef<HTMLDivElement>(null);
  /** Follow new output unless the reader has scrolled up. */
  const stick = useRef(true);

  useEffect(() => {
    const log = logRef.current;
    if (log && stick.current) log.scrollTop = log.scrollHeight;
  }, [entries]);

  const onScroll = () => {
    const log = logRef.current;
    if (log) stick.current = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSend(line);
    setLine('');
  };

  const running = phase.kind === 'running';
  const inputOpen = acceptsInput(phase);

  return (
    <section className="panel console" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Console</h2>
        <div className="toolbar">
          <button type="button" onClick={onPause} disabled={!running}>
            Pause
          </button>
          <button type="button" onClick={onContinue} disabled={onContinue === undefined}>
            Continue
          </button>
        </div>
      </div>
      <div
        ref={logRef}
        role="log"
        aria-labelledby={headingId}
        className="console-log"
        tabIndex={0}
        onScroll={onScroll}
      >
        {entries.length === 0 ? (
          <p className="console-empty">The program’s output appears here.</p>
        ) : (
          <pre>
            {entries.map((entry, i) => (
              <span key={i} className={`stream-${entry.stream}`}>
                {entry.text}
              </span>
            ))}
          </pre>
        )}
      </div>
      <form className="console-input" onSubmit={submit}>
        <label htmlFor={inputId}>Console input</label>
        <input
          id={inputId}
          type="text"
          value={line}
          onChange={(e) => setLine(e.target.value)}
          disabled={!inputOpen}
          autoComplete="off"
          spellCheck={false}
          placeholder={inputOpen ? 'A line for the program' : ''}
        />
        <button type="submit" disabled={!inputOpen}>
          Send line
        </button>
        <button type="button" onClick={onEndInput} disabled={!inputOpen}>
          End input
        </button>
      </form>
    </section>
  );
}
