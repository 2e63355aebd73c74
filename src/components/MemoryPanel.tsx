import { memo, useId, useState, type FormEvent } from 'react';
import type { MemoryBlock, TrapInfo, WatchAccess } from '../../workers/engine-api';
import { hexAddress } from '../format';

interface Props {
  memory: MemoryBlock | undefined;
  /** The same memory before the last motion, to highlight the bytes that changed. */
  previous: MemoryBlock | undefined;
  traps: readonly TrapInfo[];
  /** The bytes the access that stopped at a watchpoint touched. */
  accessed?: { address: number; size: number; kind: 'read' | 'write' } | undefined;
  /** A motion or recording runs: no new watchpoints. */
  busy: boolean;
  onShow: (at: string) => void;
  onWatch: (address: number, length: number, access: WatchAccess) => void;
  onWhoWrote: (address: number, length: number) => void;
}

interface Selection {
  anchor: number;
  focus: number;
}

const printable = (b: number) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.');

/** A hex view of memory at an address or symbol, as of the current position. */
export const MemoryPanel = memo(function MemoryPanel({ memory, previous, traps, accessed, busy, onShow, onWatch, onWhoWrote }: Props) {
  const headingId = useId();
  const inputId = useId();
  const accessId = useId();
  const [text, setText] = useState(memory?.at ?? '');
  const [selection, setSelection] = useState<Selection | null>(null);
  const [dragging, setDragging] = useState(false);
  const [access, setAccess] = useState<WatchAccess>('write');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSelection(null);
    onShow(text.trim());
  };

  const ok = memory && !memory.error;
  // The selection, or else the bytes asked for (a symbol's size).
  const range = selection
    ? { start: Math.min(selection.anchor, selection.focus), length: Math.abs(selection.focus - selection.anchor) + 1 }
    : ok ? { start: memory.target, length: Math.max(1, memory.targetSize) } : null;
  const samePlace = previous && memory && previous.address === memory.address && previous.bytes.length === memory.bytes.length;
  const watched = (a: number) => traps.some((t) => t.kind === 'watchpoint' && t.enabled && a >= t.address && a < t.address + (t.length ?? 1));

  const rows: number[] = [];
  if (ok) for (let r = 0; r < memory.bytes.length; r += 16) rows.push(r);

  const down = (address: number, shift: boolean) => {
    setSelection(shift && selection ? { anchor: selection.anchor, focus: address } : { anchor: address, focus: address });
    setDragging(true);
  };

  return (
    <section className="panel memory" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Memory</h2>
        <form className="inline-form" onSubmit={submit}>
          <label htmlFor={inputId} className="visually-hidden">Memory address</label>
          <input
            id={inputId}
            type="text"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="address, symbol or register"
            spellCheck={false}
            autoComplete="off"
            size={18}
          />
          <button type="submit" className="small">Show</button>
        </form>
      </div>
      <div className="panel-body scroll" onMouseUp={() => setDragging(false)} onMouseLeave={() => setDragging(false)}>
        {!memory && <p className="muted">Give an address, a symbol or a register name.</p>}
        {memory?.error && <p className="inline-error" role="alert">{memory.error}</p>}
        {ok && (
          <table className="hex" aria-label={`Memory at ${memory.symbol ?? memory.at}`}>
            <tbody>
              {rows.map((row) => {
                const base = memory.address + row;
                const readable = memory.readable[row / 16];
                return (
                  <tr key={row}>
                    <th scope="row">{hexAddress(base)}</th>
                    {Array.from({ length: 16 }, (_, i) => {
                      const a = base + i;
                      const b = memory.bytes[row + i];
                      const classes = [
                        i === 8 ? 'gap' : '',
                        readable && samePlace && previous.readable[row / 16] && previous.bytes[row + i] !== b ? 'changed' : '',
                        accessed && a >= accessed.address && a < accessed.address + accessed.size ? `accessed ${accessed.kind}` : '',
                        range && a >= range.start && a < range.start + range.length ? (selection ? 'selected' : 'target') : '',
                        watched(a) ? 'watched' : '',
                      ].filter(Boolean).join(' ');
                      return (
                        <td
                          key={i}
                          className={classes || undefined}
                          onMouseDown={(e) => { e.preventDefault(); down(a, e.shiftKey); }}
                          onMouseEnter={() => { if (dragging && selection) setSelection({ anchor: selection.anchor, focus: a }); }}
                          data-address={a}
                          aria-selected={selection ? range !== null && a >= range.start && a < range.start + range.length : undefined}
                        >
                          {readable ? b.toString(16).padStart(2, '0') : '··'}
                        </td>
                      );
                    })}
                    <td className="ascii">
                      {readable ? Array.from(memory.bytes.subarray(row, row + 16), printable).join('') : 'not readable'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {ok && range && (
        <div className="panel-foot">
          <span className="selection-text">
            {range.length} {range.length === 1 ? 'byte' : 'bytes'} at {hexAddress(range.start)}
            {!selection && memory.symbol ? ` (${memory.symbol})` : ''}
          </span>
          <label htmlFor={accessId} className="visually-hidden">Watch</label>
          <select id={accessId} value={access} onChange={(e) => setAccess(e.target.value as WatchAccess)}>
            <option value="write">writes</option>
            <option value="read">reads</option>
            <option value="access">any access</option>
          </select>
          <button type="button" className="small" disabled={busy} onClick={() => onWatch(range.start, range.length, access)}>
            Watch
          </button>
          <button
            type="button"
            className="small primary"
            disabled={busy}
            title="Set a write watchpoint on these bytes and run backwards to the last write before this position"
            onClick={() => onWhoWrote(range.start, range.length)}
          >
            Who wrote this?
          </button>
        </div>
      )}
    </section>
  );
});
