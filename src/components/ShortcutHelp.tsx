import { useEffect, useId, useRef } from 'react';
import { ACTION_NAMES, SHORTCUTS, type Action } from '../debugger/shortcuts';

interface Props {
  onClose: () => void;
}

/** The `?` overlay: every keyboard shortcut, with what it does. Escape, `?` or the button closes it. */
export function ShortcutHelp({ onClose }: Props) {
  const titleId = useId();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape') onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="overlay" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} onClick={(e) => e.stopPropagation()}>
        <div className="dialog-head">
          <h2 id={titleId}>Keyboard shortcuts</h2>
          <button ref={closeRef} type="button" className="icon" aria-label="Close" onClick={onClose}>×</button>
        </div>
        <p className="muted">They work wherever the focus is, except while typing in a field.</p>
        <table className="shortcut-table" aria-label="Shortcuts">
          <tbody>
            {(Object.keys(SHORTCUTS) as Action[]).map((a) => (
              <tr key={a}>
                <td><kbd>{SHORTCUTS[a].label}</kbd></td>
                <td>{ACTION_NAMES[a]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
