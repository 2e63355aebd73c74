import { memo, useId, useState, type FormEvent } from 'react';
import type { NoteInfo } from '../../workers/engine-api';
import { formatCount } from '../format';

interface Props {
  notes: readonly NoteInfo[];
  /** The instant a new note is pinned to. */
  icount: number;
  busy: boolean;
  onAdd: (text: string) => void;
  onDelete: (id: number) => void;
  onSeek: (icount: number) => void;
}

/** Notes pinned to instants: saved with the recording, exported in its file, shown on the timeline. */
export const NotesPanel = memo(function NotesPanel({ notes, icount, busy, onAdd, onDelete, onSeek }: Props) {
  const headingId = useId();
  const inputId = useId();
  const [text, setText] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() === '') return;
    onAdd(text.trim());
    setText('');
  };
  return (
    <section className="panel notes-panel" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Notes</h2>
      </div>
      <form className="note-form" onSubmit={submit}>
        <label htmlFor={inputId} className="visually-hidden">Note at this instant</label>
        <input
          id={inputId}
          type="text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={`a note at ${formatCount(icount)}`}
          maxLength={4000}
          autoComplete="off"
        />
        <button type="submit" className="small" disabled={busy || text.trim() === ''}>Add note</button>
      </form>
      <div className="panel-body scroll">
        {notes.length === 0 ? (
          <p className="muted">No notes. A note marks this instant on the timeline, and travels with the recording when you share it.</p>
        ) : (
          <ul className="note-list" aria-label="Notes">
            {notes.map((n) => (
              <li key={n.id} className="note-item">
                <button type="button" className="link note-at" disabled={busy} onClick={() => onSeek(n.icount)} title={`Go to instruction ${n.icount}`}>
                  {formatCount(n.icount)}{n.end !== undefined ? `–${formatCount(n.end)}` : ''}
                </button>
                <span className="note-text">{n.text}</span>
                <button type="button" className="icon" disabled={busy} aria-label={`Delete note ${n.id}`} title="Delete" onClick={() => onDelete(n.id)}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
});
