import { useId, useState, type ChangeEvent, type FormEvent } from 'react';
import type { ExampleInfo, StorageOverview, StoredRecording } from '../../workers/engine-api';
import { describeEnd, formatBytes, formatDate, formatLength } from '../format';
import { SnapshotBudgetSetting } from './SnapshotBudgetSetting';

interface Props {
  examples: ExampleInfo[] | null;
  examplesError: string | null;
  /** null while loading */
  storage: StorageOverview | null;
  onOpenExample: (name: string) => void;
  onOpenRecording: (id: string) => void;
  onRename: (id: string, name: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onExport: (id: string) => void;
  /** One file (a program or a recording), or a program and a disk image. */
  onOpenFile: (files: File[]) => void;
  /** Sets the snapshot budget (MiB, or null for the default). */
  onSetSnapshotBudget?: (settingMiB: number | null) => void;
  /** How many harts programs opened from here get (QEMU's -smp), and setting it. */
  harts?: number;
  onSetHarts?: (count: number) => void;
}

/** The number of harts the machine of a program opened from here has. */
function HartsSetting({ harts, onChange }: { harts: number; onChange: (count: number) => void }) {
  const id = useId();
  return (
    <p className="harts-setting small-text">
      <label htmlFor={id}>Harts</label>{' '}
      <select id={id} value={String(harts)} onChange={(e) => onChange(Number(e.target.value))}>
        {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => <option key={n} value={String(n)}>{n}</option>)}
      </select>{' '}
      <span className="muted">as QEMU&apos;s <code>-smp</code>: they run in turn, in quanta of 10000 instructions, so a run replays exactly.</span>
    </p>
  );
}

function RecordingRow({ r, onOpen, onRename, onDelete, onExport }: {
  r: StoredRecording; onOpen: () => void; onRename: (name: string) => Promise<void>; onDelete: () => Promise<void>; onExport: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(r.name);
  const [confirming, setConfirming] = useState(false);
  const inputId = useId();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    await onRename(name);
    setEditing(false);
  };
  return (
    <tr>
      <th scope="row">
        {editing ? (
          <form className="inline-form" onSubmit={save}>
            <label htmlFor={inputId} className="visually-hidden">New name for {r.name}</label>
            <input id={inputId} value={name} onChange={(e) => setName(e.target.value)} autoFocus size={20} />
            <button type="submit" className="small">Save</button>
            <button type="button" className="small" onClick={() => { setEditing(false); setName(r.name); }}>Cancel</button>
          </form>
        ) : (
          <button type="button" className="link recording-open" onClick={onOpen}>
            {r.name}
          </button>
        )}
        <span className="recording-meta">{r.programName} · {describeEnd(r.ended)}</span>
      </th>
      <td className="num" title={`${r.length} instructions`}>{formatLength(r.length)}</td>
      <td className="num">{formatBytes(r.bytes)}</td>
      <td className="date">{formatDate(r.createdAt)}</td>
      <td className="actions">
        {confirming ? (
          <>
            <span className="confirm-text">Delete for good?</span>
            <button type="button" className="small danger" onClick={() => void onDelete()}>Delete<span className="visually-hidden"> {r.name}</span></button>
            <button type="button" className="small" onClick={() => setConfirming(false)}>Keep</button>
          </>
        ) : (
          <>
            <button type="button" className="small primary" onClick={onOpen}>Open<span className="visually-hidden"> {r.name}</span></button>
            <button type="button" className="small" onClick={() => setEditing(true)}>Rename<span className="visually-hidden"> {r.name}</span></button>
            <button type="button" className="small" onClick={onExport}>Export<span className="visually-hidden"> {r.name}</span></button>
            <button type="button" className="small" onClick={() => setConfirming(true)}>Delete<span className="visually-hidden"> {r.name}</span></button>
          </>
        )}
      </td>
    </tr>
  );
}

/** The bundled examples, the recordings stored in this browser, and opening a file. */
export function StartPage({ examples, examplesError, storage, onOpenExample, onOpenRecording, onRename, onDelete, onExport, onOpenFile, onSetSnapshotBudget, harts, onSetHarts }: Props) {
  const examplesId = useId();
  const recordingsId = useId();
  const fileId = useId();
  const pick = (e: ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    e.target.value = '';
    if (files.length > 0) onOpenFile(files);
  };
  return (
    <main className="start">
      <header className="start-head">
        <h1 className="brand">Hindsight</h1>
        <p className="tagline">A time-travel debugger for RISC-V programs, in your browser. Record a run, then travel through it: backwards and forwards, instruction by instruction.</p>
      </header>
      <div className="start-grid">
        <section className="panel examples" aria-labelledby={examplesId}>
          <h2 id={examplesId}>Examples</h2>
          {examplesError !== null && <p role="alert" className="alert"><strong>Error:</strong> {examplesError}</p>}
          {examples === null && examplesError === null && <p className="muted">Loading the examples…</p>}
          {examples !== null && examples.length === 0 && <p className="muted">No examples are bundled.</p>}
          {examples !== null && examples.length > 0 && (
            <ul className="example-list">
              {examples.map((ex) => (
                <li key={ex.name} className="example">
                  <div className="example-head">
                    <h3>{ex.name}</h3>
                    <button type="button" className="primary small" onClick={() => onOpenExample(ex.name)}>
                      Open<span className="visually-hidden"> {ex.name}</span>
                    </button>
                  </div>
                  {ex.description && <p className="description">{ex.description}</p>}
                  {ex.sources.length > 0 && <p className="sources"><span className="visually-hidden">Sources: </span>{ex.sources.join(', ')}</p>}
                </li>
              ))}
            </ul>
          )}
        </section>
        <div className="start-side">
          <section className="panel open-file" aria-label="Open a file">
            <h2>Your own program or recording</h2>
            <p className="muted">
              Drop a file anywhere on the page, or pick one: a statically linked RV64 ELF executable for the QEMU <code>virt</code> board
              (RAM at 0x80000000) to run and record, or a Hindsight recording (<code>.hsr</code>) to replay. An operating system
              with a disk (xv6&apos;s <code>kernel</code> and <code>fs.img</code>): pick or drop both files together, and the
              other one becomes its virtio disk.
            </p>
            <label htmlFor={fileId} className="file-button">
              Open a program or recording…
              <input id={fileId} type="file" multiple className="visually-hidden" onChange={pick} />
            </label>
            {onSetHarts && <HartsSetting harts={harts ?? 1} onChange={onSetHarts} />}
          </section>
          <section className="panel recordings" aria-labelledby={recordingsId}>
            <h2 id={recordingsId}>Recordings in this browser</h2>
            {storage === null && <p className="muted">Loading…</p>}
            {storage?.problem && <p role="alert" className="alert"><strong>Storage:</strong> {storage.problem}</p>}
            {storage && !storage.problem && storage.recordings.length === 0 && (
              <p className="muted">None yet. Open an example and press Record: the recording is saved here as it is made.</p>
            )}
            {storage && storage.recordings.length > 0 && (
              <table className="recording-table" aria-labelledby={recordingsId}>
                <thead>
                  <tr>
                    <th scope="col">Name and program</th>
                    <th scope="col" className="num">Length</th>
                    <th scope="col" className="num">Size</th>
                    <th scope="col">Recorded</th>
                    <th scope="col"><span className="visually-hidden">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  {storage.recordings.map((r) => (
                    <RecordingRow
                      key={r.id}
                      r={r}
                      onOpen={() => onOpenRecording(r.id)}
                      onRename={(name) => onRename(r.id, name)}
                      onDelete={() => onDelete(r.id)}
                      onExport={() => onExport(r.id)}
                    />
                  ))}
                </tbody>
              </table>
            )}
            {storage?.estimate && (
              <p className="muted small-text">
                This site uses {formatBytes(storage.estimate.usage)} of the {formatBytes(storage.estimate.quota)} the browser allows it.
              </p>
            )}
            {storage?.snapshotBudget && onSetSnapshotBudget && (
              <SnapshotBudgetSetting key={`${storage.snapshotBudget.settingMiB}`} budget={storage.snapshotBudget} onChange={onSetSnapshotBudget} />
            )}
          </section>
        </div>
      </div>
    </main>
  );
}
