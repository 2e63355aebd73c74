import { memo, useEffect, useId, useState, type FormEvent } from 'react';
import type { TrapInfo } from '../../workers/engine-api';
import { hexAddress } from '../format';

interface Props {
  traps: readonly TrapInfo[];
  busy: boolean;
  onAdd: (where: string) => void;
  onDelete: (id: number) => void;
  onEnable: (id: number, enabled: boolean) => void;
  onShow: (address: number) => void;
  /** Candidates for what has been typed (function names, "FILE:"), offered as the box's suggestions. */
  complete?: (prefix: string) => Promise<readonly string[]>;
}

/** The list has one entry per location; a breakpoint with several shares its number: shown once, with its addresses. */
function grouped(traps: readonly TrapInfo[]): { first: TrapInfo; addresses: number[] }[] {
  const out = new Map<string, { first: TrapInfo; addresses: number[] }>();
  for (const t of traps) {
    const key = `${t.kind}${t.id}`;
    const g = out.get(key);
    if (g) g.addresses.push(t.address);
    else out.set(key, { first: t, addresses: [t.address] });
  }
  return [...out.values()];
}

const ACCESS: Record<string, string> = { write: 'write', read: 'read', access: 'read/write' };

/** Breakpoints and watchpoints: listed, enabled or disabled, deleted; breakpoints added by function, FILE:LINE or address. */
export const TrapsPanel = memo(function TrapsPanel({ traps, busy, onAdd, onDelete, onEnable, onShow, complete }: Props) {
  const headingId = useId();
  const inputId = useId();
  const listId = useId();
  const [where, setWhere] = useState('');
  const [suggestions, setSuggestions] = useState<readonly string[]>([]);
  useEffect(() => {
    if (!complete) return;
    let current = true;
    complete(where).then((list) => { if (current) setSuggestions(list); }, () => { if (current) setSuggestions([]); });
    return () => { current = false; };
  }, [complete, where]);
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
            placeholder="function, file:line or address"
            spellCheck={false}
            autoComplete="off"
            size={14}
            list={complete ? listId : undefined}
          />
          {complete && (
            <datalist id={listId}>
              {suggestions.map((s) => <option key={s} value={s} />)}
            </datalist>
          )}
          <button type="submit" className="small" disabled={busy}>Add</button>
        </form>
      </div>
      <div className="panel-body scroll">
        {traps.length === 0 ? (
          <p className="muted">No breakpoints or watchpoints. Click in the disassembly’s margin, or select bytes in the memory view.</p>
        ) : (
          <ul className="trap-list" aria-label="Breakpoints and watchpoints">
            {grouped(traps).map(({ first: t, addresses }) => {
              const name = t.kind === 'breakpoint' ? `Breakpoint ${t.id}` : `Watchpoint ${t.id}`;
              return (
                <li key={`${t.kind}${t.id}`} className={t.enabled ? 'trap' : 'trap disabled'}>
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
                      {addresses.length > 1
                        ? <>{`${addresses.length} locations: `}<code className="trap-address">{addresses.map(hexAddress).join(', ')}</code></>
                        : <>
                          {t.kind === 'watchpoint' ? `${ACCESS[t.access ?? 'write']} watch, ${t.length} B at ` : t.source ? `${t.label} at ` : ''}
                          <code className="trap-address">{hexAddress(t.address)}</code>
                        </>}
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
