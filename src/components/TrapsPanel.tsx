import { memo, useId, useState, type FormEvent } from 'react';
import type { TrapInfo } from '../../workers/engine-api';
import { hexAddress } from '../format';

interface Props {
  traps: readonly TrapInfo[];
  busy: boolean;
  onAdd: (where: string) => void;
  onDelete: (id: number) => void;
  onEnable: (id: number, enabled: boolean) => void;
  onShow: (address: number) => void;
}

const ACCESS: Record<string, string> = { write: 'write', read: 'read', access: 'read/write' };

/** Breakpoints and watchpoints: listed, enabled or disabled, deleted; breakpoints added by symbol or address. */
export const TrapsPanel = memo(function TrapsPanel({ traps, busy, onAdd, onDelete, onEnable, onShow }: Props) {
  const headingId = useId();
  const inputId = useId();
  const [where, setWhere] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (where.trim() === '') return;
    onAdd(where.trim());
    setWhere('');
  };
  return (
    <section className="panel traps" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Breakpoints</h2>
        <form className="inline-form" onSubmit={submit}>
          <label htmlFor={inputId} className="visually-hidden">Break at</label>
          <input
            id={inputId}
            type="text"
            value={where}
            onChange={(e) => setWhere(e.target.value)}
            placeholder="symbol or address"
            spellCheck={false}
            autoComplete="off"
            size={14}
          />
          <button type="submit" className="small" disabled={busy}>Add</button>
        </form>
      </div>
      <div className="panel-body scroll">
        {traps.length === 0 ? (
          <p className="muted">No breakpoints or watchpoints. Click in the disassembly’s margin, or select bytes in the memory view.</p>
        ) : (
          <ul className="trap-list" aria-label="Breakpoints and watchpoints">
            {traps.map((t) => {
              const name = t.kind === 'breakpoint' ? `Breakpoint ${t.id}` : `Watchpoint ${t.id}`;
              return (
                <li key={t.id} className={t.enabled ? 'trap' : 'trap disabled'}>
                  <input
                    type="checkbox"
                    checked={t.enabled}
                    disabled={busy}
                    aria-label={`Enable ${name.toLowerCase()}`}
                    onChange={(e) => onEnable(t.id, e.target.checked)}
                  />
                  <span className={`trap-icon ${t.kind}`} aria-hidden="true" />
                  <span className="trap-text">
                    <button type="button" className="link trap-label" onClick={() => onShow(t.address)} title={`${name}: show ${hexAddress(t.address)} in the disassembly`}>
                      <span className="visually-hidden">{name}: </span>
                      {t.kind === 'watchpoint' ? t.label || hexAddress(t.address) : t.source ?? t.label}
                    </button>
                    <span className="trap-detail">
                      {t.kind === 'watchpoint' ? `${ACCESS[t.access ?? 'write']} watch, ${t.length} B at ` : t.source ? `${t.label} at ` : ''}
                      <code className="trap-address">{hexAddress(t.address)}</code>
                    </span>
                  </span>
                  <button type="button" className="icon" disabled={busy} aria-label={`Delete ${name.toLowerCase()}`} title="Delete" onClick={() => onDelete(t.id)}>
                    ×
                  </button>
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
});
