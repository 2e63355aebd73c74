import { memo, Suspense, useCallback, useId, useMemo, useState, type FormEvent } from 'react';
import type { Listing, TrapInfo } from '../../workers/engine-api';
import { MonacoView, type LineDecoration } from '../monaco/MonacoView';
import { RISCV_LANGUAGE } from '../monaco/riscv';
import { hexAddress } from '../format';

interface Props {
  /** The program's listing. */
  program: Listing;
  /** The code around pc read from memory, when pc is outside the program's listing. */
  local: Listing | undefined;
  pc: number;
  icount: number;
  traps: readonly TrapInfo[];
  /** A "go to" request: show this address. */
  reveal: { address: number; nonce: number } | null;
  onToggleBreakpoint: (address: number) => void;
  onGoTo: (where: string) => void;
}

/** Line (1-based) of each instruction address in a listing. */
export function lineIndex(listing: Listing): Map<number, number> {
  const map = new Map<number, number>();
  listing.addresses.forEach((a, i) => { if (a >= 0) map.set(a, i + 1); });
  return map;
}

/** The decorations of a listing: the current line, and a glyph for each breakpoint. */
export function disassemblyDecorations(lines: Map<number, number>, pc: number, traps: readonly TrapInfo[]): LineDecoration[] {
  const out: LineDecoration[] = [];
  const pcLine = lines.get(pc);
  const bps = new Map<number, TrapInfo>();
  for (const t of traps) if (t.kind === 'breakpoint' && (!bps.has(t.address) || t.enabled)) bps.set(t.address, t);
  for (const [address, t] of bps) {
    const line = lines.get(address);
    if (line === undefined) continue;
    const atPc = line === pcLine;
    out.push({
      line,
      glyph: `${t.enabled ? 'glyph-breakpoint' : 'glyph-breakpoint-disabled'}${atPc ? ' glyph-at-pc' : ''}`,
      hover: `Breakpoint ${t.id}${t.enabled ? '' : ' (disabled)'}: ${t.source ?? t.label}. Click to remove.`,
      ...(atPc ? { className: 'line-current' } : {}),
    });
  }
  if (pcLine !== undefined && !bps.has(pc)) out.push({ line: pcLine, className: 'line-current', glyph: 'glyph-current', hover: 'pc: the next instruction to run' });
  return out;
}

/** Disassembly around the pc in Monaco: symbol labels, the current line, breakpoints in the gutter. */
export const DisassemblyPanel = memo(function DisassemblyPanel({ program, local, pc, icount, traps, reveal, onToggleBreakpoint, onGoTo }: Props) {
  const headingId = useId();
  const inputId = useId();
  const [where, setWhere] = useState('');
  const programLines = useMemo(() => lineIndex(program), [program]);
  const localLines = useMemo(() => (local ? lineIndex(local) : undefined), [local]);
  // The code around pc, unless a "go to" asks for a place in the program.
  const showLocal = local !== undefined && localLines !== undefined && !(reveal && programLines.has(reveal.address) && !localLines.has(reveal.address));
  const listing = showLocal ? local : program;
  const lines = showLocal ? localLines : programLines;
  const decorations = useMemo(() => disassemblyDecorations(lines, pc, traps), [lines, pc, traps]);
  const target = reveal ? lines.get(reveal.address) : undefined;
  const pcLine = lines.get(pc);
  const revealAt = target !== undefined && reveal
    ? { line: target, key: `goto:${reveal.nonce}` }
    : pcLine !== undefined ? { line: pcLine, key: `pc:${icount}` } : null;
  const lineNumbers = useCallback((n: number) => {
    const a = listing.addresses[n - 1];
    return a !== undefined && a >= 0 ? hexAddress(a) : '';
  }, [listing]);
  const onGutterClick = useCallback((line: number) => {
    const a = listing.addresses[line - 1];
    if (a !== undefined && a >= 0) onToggleBreakpoint(a);
  }, [listing, onToggleBreakpoint]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (where.trim()) onGoTo(where.trim());
  };
  return (
    <section className="panel disassembly" aria-labelledby={headingId}>
      <div className="panel-head">
        <h2 id={headingId}>Disassembly</h2>
        <span className="muted small-text panel-subtitle">{listing.title}</span>
        <form className="inline-form" onSubmit={submit}>
          <label htmlFor={inputId} className="visually-hidden">Show address or symbol</label>
          <input id={inputId} type="text" value={where} onChange={(e) => setWhere(e.target.value)} placeholder="go to symbol or address" spellCheck={false} autoComplete="off" size={20} />
          <button type="submit" className="small">Show</button>
        </form>
      </div>
      <div className="panel-body editor-body">
        <Suspense fallback={<p className="muted loading">Loading the editor…</p>}>
          <MonacoView
            value={listing.text}
            language={RISCV_LANGUAGE}
            label="Disassembly"
            lineNumbers={lineNumbers}
            lineNumbersMinChars={9}
            decorations={decorations}
            reveal={revealAt}
            onGutterClick={onGutterClick}
          />
        </Suspense>
      </div>
    </section>
  );
});
