import { useId, type ChangeEvent } from 'react';
import type { ExampleInfo } from '../../workers/engine-api';

interface Props {
  examples: ExampleInfo[] | null;
  loadError: string | null;
  /** The program loaded or running now. */
  current: string | null;
  busy: boolean;
  onRun: (name: string) => void;
  onRunFile: (file: File) => void;
}

export function ExampleList({ examples, loadError, current, busy, onRun, onRunFile }: Props) {
  const headingId = useId();
  const fileId = useId();
  const fileHintId = useId();

  const chooseFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) onRunFile(file);
  };

  return (
    <section className="panel examples" aria-labelledby={headingId}>
      <h2 id={headingId}>Examples</h2>
      {loadError !== null && (
        <p role="alert" className="alert">
          <strong>Error:</strong> {loadError}
        </p>
      )}
      {examples === null && loadError === null && <p className="muted">Loading the examples…</p>}
      {examples !== null && examples.length === 0 && <p className="muted">No examples are bundled.</p>}
      {examples !== null && examples.length > 0 && (
        <ul className="example-list">
          {examples.map((example) => (
            <li key={example.name} className={example.name === current ? 'example current' : 'example'}>
              <div className="example-head">
                <h3>{example.name}</h3>
                <button
                  type="button"
                  className="primary"
                  onClick={() => onRun(example.name)}
                  aria-current={example.name === current ? 'true' : undefined}
                >
                  Run<span className="visually-hidden"> {example.name}</span>
                </button>
              </div>
              {example.description && <p className="description">{example.description}</p>}
              {example.sources.length > 0 && (
                <p className="sources">
                  <span className="visually-hidden">Sources: </span>
                  {example.sources.join(', ')}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="own-program">
        <label htmlFor={fileId}>Run your own program</label>
        <input id={fileId} type="file" accept=".elf,application/x-elf,application/octet-stream" aria-describedby={fileHintId} onChange={chooseFile} />
        <p id={fileHintId} className="muted">
          A statically linked RV64 ELF executable for the QEMU <code>virt</code> board (RAM at 0x80000000).
          {busy && ' Starting another program stops the one running now.'}
        </p>
      </div>
    </section>
  );
}
