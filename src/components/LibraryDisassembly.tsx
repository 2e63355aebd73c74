import { memo, Suspense, useCallback, useMemo } from 'react';
import type { Listing, SourcePosition, TrapInfo } from '../../workers/engine-api';
import { libraryOf } from '../../workers/ui-host/library-files';
import { functionSlice } from '../lib/listing-slice';
import { MonacoView } from '../monaco/MonacoView';
import { RISCV_LANGUAGE } from '../monaco/riscv';
import { hexAddress } from '../format';
import { disassemblyDecorations, lineIndex } from './DisassemblyPanel';

interface Props {
  /** The line the debug info gives, in a file the session does not have. */
  position: SourcePosition;
  /** The program's listing, and the code around the pc when it lies outside it. */
  program: Listing;
  local: Listing | undefined;
  /** The instruction shown: the pc, or a chosen frame's return address. */
  address: number;
  /** `address` is the pc (not a frame's). */
  atPc: boolean;
  traps: readonly TrapInfo[];
  onToggleBreakpoint: (address: number) => void;
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, '');

/** The one line said above the disassembly; `symbol` names the code when the debug info does not (assembly). */
export function missingSourceNote(position: SourcePosition, symbol?: string): string {
  const library = libraryOf(position.file);
  const what = position.function ?? symbol ?? `line ${position.line}`;
  if (library) return `${library}: ${what} in ${baseName(position.file)}, no source here; showing disassembly`;
  return `Line ${position.line} of ${position.file}${position.function ? ` in ${position.function}` : ''}. This source file is not at hand: drop it on the page, or add it here. Showing disassembly.`;
}

/**
 * Code whose source file is not at hand (picolibc's, or the user's own not
 * added yet): its function's disassembly in the source view, with the line
 * that says why, rather than an empty panel.
 */
export const LibraryDisassembly = memo(function LibraryDisassembly({ position, program, local, address, atPc, traps, onToggleBreakpoint }: Props) {
  const slice = useMemo(() => functionSlice(program, address) ?? (local ? functionSlice(local, address) : undefined), [program, local, address]);
  const lines = useMemo(() => (slice ? lineIndex(slice) : new Map<number, number>()), [slice]);
  // A chosen frame's line is marked as the call in progress, not as the pc.
  const decorations = useMemo(() => {
    const marks = disassemblyDecorations(lines, atPc ? address : -1, traps);
    const line = lines.get(address);
    return atPc || line === undefined ? marks : [...marks, { line, className: 'line-frame', glyph: 'glyph-frame', hover: 'the call in progress in the chosen frame' }];
  }, [lines, address, atPc, traps]);
  const lineNumbers = useCallback((n: number) => {
    const a = slice?.addresses[n - 1];
    return a !== undefined && a >= 0 ? hexAddress(a) : '';
  }, [slice]);
  const onGutterClick = useCallback((n: number) => {
    const a = slice?.addresses[n - 1];
    if (a !== undefined && a >= 0) onToggleBreakpoint(a);
  }, [slice, onToggleBreakpoint]);
  // The listing's label names assembly code the debug info has no function for (picolibc's sys_semihost).
  const label = slice ? /^<(.+)>:$/.exec(slice.text.split('\n', 1)[0])?.[1] : undefined;
  const note = missingSourceNote(position, label);
  if (!slice) return <p className="placeholder">{note.replace(/ Showing disassembly\.$|; showing disassembly$/, '.')}</p>;
  const line = lines.get(address);
  return (
    <div className="source-fallback">
      <p className="source-note" role="note">{note}</p>
      <div className="source-fallback-editor">
        <Suspense fallback={<p className="muted loading">Loading the editor…</p>}>
          <MonacoView
            value={slice.text}
            language={RISCV_LANGUAGE}
            label={`Disassembly of ${position.function ?? label ?? baseName(position.file)}`}
            lineNumbers={lineNumbers}
            lineNumbersMinChars={9}
            decorations={decorations}
            reveal={line !== undefined ? { line, key: `${address}` } : null}
            onGutterClick={onGutterClick}
          />
        </Suspense>
      </div>
    </div>
  );
});
