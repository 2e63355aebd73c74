import { useId } from 'react';
import type { Route } from '../lib/route';
import { formatCount } from '../format';

interface Props {
  route: Route & { kind: 'recording' };
  onFile: (file: File) => void;
  onHome: () => void;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A link names a recording that is not stored in this browser (a teammate's):
 * says which file it needs, and takes it by picker or drop. The link, and so
 * its instant, stays in the address bar.
 */
export function NeedFilePage({ route, onFile, onHome }: Props) {
  const inputId = useId();
  const file = route.file ?? 'the recording file (.hsr)';
  return (
    <main className="need-file" aria-labelledby={`${inputId}-title`}>
      <p className="brand">Hindsight</p>
      <h1 id={`${inputId}-title`}>This link needs its recording</h1>
      <p>
        The link opens recording <code>{route.id}</code>
        {route.t !== undefined && <> at instruction {formatCount(route.t)}</>}, which is not stored in this browser yet.
        Open the file that came with the link: <strong>{file}</strong>
        {route.size !== undefined && <> ({formatBytes(route.size)})</>}. You can also drop it on this page.
      </p>
      <p>
        <label htmlFor={inputId} className="file-button button-like">Open {route.file ?? 'the .hsr file'}…</label>
        <input
          id={inputId}
          className="visually-hidden"
          type="file"
          accept=".hsr"
          aria-label="Recording file for this link"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) onFile(f);
            e.currentTarget.value = '';
          }}
        />
      </p>
      <p>
        <button type="button" className="link" onClick={onHome}>← Examples and your recordings</button>
      </p>
    </main>
  );
}
