import { useId, useState, type FormEvent } from 'react';
import { formatBytes } from '../format';

interface Props {
  budget: { bytes: number; settingMiB: number | null; defaultBytes: number };
  onChange: (settingMiB: number | null) => void;
}

/** The snapshot budget: what the timelines of this tab may keep in snapshots; a setting or the default. */
export function SnapshotBudgetSetting({ budget, onChange }: Props) {
  const id = useId();
  const [text, setText] = useState(budget.settingMiB === null ? '' : String(budget.settingMiB));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = text.trim();
    onChange(t === '' ? null : Number(t));
  };
  return (
    <form className="snapshot-budget small-text" onSubmit={submit}>
      <label htmlFor={id}>Snapshot budget (MiB)</label>{' '}
      <input id={id} type="number" min={16} step={1} inputMode="numeric" value={text} placeholder={String(Math.round(budget.defaultBytes / 1048576))}
        onChange={(e) => setText(e.target.value)} />{' '}
      <button type="submit" className="small">Set</button>{' '}
      <span className="muted">
        Snapshots may use {formatBytes(budget.bytes)}{budget.settingMiB === null ? ' (the default: a tenth of the storage the browser allows this site)' : ''};
        older ones are thinned to stay within it.
      </span>
    </form>
  );
}
