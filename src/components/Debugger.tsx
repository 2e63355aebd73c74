import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { LINE_MOTIONS, type LineMotion, type Motion, type WatchAccess } from '../../workers/engine-api';
import type { DebuggerController } from '../debugger/controller';
import { actionFor } from '../debugger/shortcuts';
import { useStore } from '../lib/store';
import { ipiMarkers, type Marker } from '../lib/markers';
import { exitMark } from '../lib/lanes';
import { readFile } from '../lib/download';
import { describeEnd, formatCount, formatDate } from '../format';
import { ErrorAlert } from './ErrorAlert';
import { Toolbar } from './Toolbar';
import { TimelineBar } from './TimelineBar';
import { StatusLine } from './StatusLine';
import { RegistersPanel } from './RegistersPanel';
import { DisassemblyPanel } from './DisassemblyPanel';
import { SourcePanel } from './SourcePanel';
import { MemoryPanel } from './MemoryPanel';
import { ConsolePanel } from './ConsolePanel';
import { TrapsPanel } from './TrapsPanel';
import { CallStackPanel } from './CallStackPanel';
import { VariablesPanel } from './VariablesPanel';
import { NotesPanel } from './NotesPanel';
import { ShortcutHelp } from './ShortcutHelp';

interface Props {
  controller: DebuggerController;
  onHome: () => void;
}

/** The debugger for one recording: controls, timeline and panels, all following the current position. */
export function Debugger({ controller: c, onHome }: Props) {
  const store = c.store;
  const info = useStore(store, (s) => s.info);
  const status = useStore(store, (s) => s.status);
  const view = useStore(store, (s) => s.view);
  const previous = useStore(store, (s) => s.previous);
  const position = useStore(store, (s) => s.position);
  const selectedHart = useStore(store, (s) => s.hart);
  const hartLanes = useStore(store, (s) => s.hartLanes);
  const seeking = useStore(store, (s) => s.seeking);
  const busy = useStore(store, (s) => s.busy);
  const lastStop = useStore(store, (s) => s.lastStop);
  const consoleEvents = useStore(store, (s) => s.console);
  const hits = useStore(store, (s) => s.hits);
  const traps = useStore(store, (s) => s.traps);
  const error = useStore(store, (s) => s.error);
  const reveal = useStore(store, (s) => s.reveal);
  const executed = useStore(store, (s) => s.executed);
  const frameIndex = useStore(store, (s) => s.frame);
  const notes = useStore(store, (s) => s.notes);
  const shared = useStore(store, (s) => s.shared);
  const lanes = useStore(store, (s) => s.lanes);
  const jumpRef = useRef<HTMLInputElement>(null);
  const [help, setHelp] = useState(false);
  const closeHelp = useCallback(() => setHelp(false), []);

  // The scrubber's own marks; console events, notes and the rest have lanes under it (TimelineLanes).
  const markers = useMemo(() => {
    const list: Marker[] = [...hits, ...ipiMarkers(hartLanes.ipis)];
    if (status.ended) list.push({ kind: 'end', icount: status.length, label: `end: ${describeEnd(status.ended)}` });
    const exit = exitMark(status.ended, lanes?.userEnd ?? null);
    if (exit) list.push({ kind: 'exit', icount: exit.icount, label: exit.label });
    return list.sort((a, b) => a.icount - b.icount);
  }, [hits, status.ended, status.length, hartLanes.ipis, lanes]);

  const onMove = useCallback((m: Motion) => void c.move(m), [c]);
  const onRecord = useCallback(() => void c.record(), [c]);
  const onStop = useCallback(() => c.stop(), [c]);
  const onPause = useCallback(() => c.pause(), [c]);
  const onScrub = useCallback((t: number) => c.seek(t), [c]);
  const onSend = useCallback((text: string) => c.sendInput(text), [c]);
  const onEndInput = useCallback(() => c.endInput(), [c]);
  const onToggleBreakpoint = useCallback((a: number) => void c.toggleBreakpoint(a), [c]);
  const onGoTo = useCallback((w: string) => void c.goTo(w), [c]);
  const onShowMemory = useCallback((at: string) => void c.showMemory(at), [c]);
  const onSelectHart = useCallback((h: number | null) => void c.selectHart(h), [c]);
  const onWatch = useCallback((a: number, n: number, access: WatchAccess) => void c.addWatchpoint(a, n, access), [c]);
  const onWhoWrote = useCallback((a: number, n: number) => void c.whoWrote(a, n), [c]);
  const onAddTrap = useCallback((w: string) => void c.addBreakpoint(w), [c]);
  const onDeleteTrap = useCallback((id: number) => void c.deleteTrap(id), [c]);
  const onEnableTrap = useCallback((id: number, on: boolean) => void c.setTrapEnabled(id, on), [c]);
  const completeLocation = useCallback((prefix: string) => c.completeLocation(prefix), [c]);
  const onAddNote = useCallback((text: string) => void c.addNote(text), [c]);
  const onDeleteNote = useCallback((id: number) => void c.deleteNote(id), [c]);
  const onShowTrap = useCallback((a: number) => void c.goTo(`0x${a.toString(16)}`), [c]);
  const sourceText = useCallback((name: string) => c.sourceText(name), [c]);
  const onToggleLine = useCallback((file: string, line: number) => void c.toggleSourceBreakpoint(file, line), [c]);
  const pcNumber = Number(BigInt(view.pc));
  const sourceListing = useMemo(() => ({ program: info.listing, local: view.localListing, pc: pcNumber, onToggleBreakpoint }),
    [info.listing, view.localListing, pcNumber, onToggleBreakpoint]);
  const onRunToLine = useCallback((file: string, line: number, direction: 'backward' | 'forward') => void c.runToLine(file, line, direction), [c]);
  const onSelectFrame = useCallback((i: number) => c.selectFrame(i), [c]);
  const loadVariables = useCallback((f: number, x: string[]) => c.variables(f, x), [c]);
  const expandVariable = useCallback((f: number, x: string) => c.expandVariable(f, x), [c]);
  const valueHistory = useCallback((x: string, f: number) => c.valueHistory(x, f), [c]);
  const onAddFiles = useCallback(async (files: File[]) => {
    const texts: Record<string, string> = {};
    for (const f of files) texts[f.name] = new TextDecoder().decode(await readFile(f));
    await c.addSources(texts);
  }, [c]);

  // Keyboard shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = actionFor(e);
      if (!action) return;
      const s = c.state;
      e.preventDefault();
      switch (action) {
        case 'pause': c.pause(); break;
        case 'record': if (!s.busy && s.status.phase === 'live') void c.record(); break;
        case 'stop': c.stop(); break;
        case 'jump': jumpRef.current?.focus(); jumpRef.current?.select(); break;
        case 'help': setHelp((shown) => !shown); break;
        case 'start': if (!s.busy) c.seek(0); break;
        case 'end': if (!s.busy) void c.goToEnd(); break;
        default:
          if (s.busy) break;
          if (LINE_MOTIONS.includes(action as LineMotion) && s.info.debugInfo !== 'available') break;
          void c.move(action);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [c]);

  const memoryPrevious = previous?.memory;
  const live = info.mode === 'record';
  const modeText = live
    ? status.phase === 'fixed' ? 'recorded in this tab' : status.phase === 'recording' ? 'recording' : status.phase === 'waiting-input' ? 'recording: waiting for input' : 'live: ready to record'
    : 'replay';

  return (
    <div className="debugger">
      <header className="debugger-head">
        <button type="button" className="link home" onClick={onHome} title="Back to the examples and your recordings">
          ← Recordings
        </button>
        <h1 className="brand">Hindsight</h1>
        <div className="recording-title">
          <span className="recording-name">{info.name}</span>
          <span className={`badge badge-${live && status.phase !== 'fixed' ? 'live' : 'replay'}`}>{modeText}</span>
          {status.verified && (
            <span className="badge badge-verified" title="Replayed in full in this browser: every recorded output, input, exit status and state digest matched">
              verified
            </span>
          )}
          <span className="muted small-text">
            {formatCount(status.length)} instructions · {describeEnd(status.ended)} · {formatDate(info.createdAt)}
          </span>
        </div>
        <div className="head-actions">
          <button type="button" className="small" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" aria-keyshortcuts="?">
            ?<span className="visually-hidden"> Keyboard shortcuts</span>
          </button>
          <button type="button" className="small primary" onClick={() => void c.share()} disabled={busy !== null}
            title="Download this recording with its notes, breakpoints and watchpoints, and copy a link to this instant for a teammate">
            Share
          </button>
          <button type="button" className="small" onClick={() => void c.exportRecording()} disabled={busy !== null} title="Download this recording as a replay file (.hsr)">
            Export .hsr
          </button>
          <button
            type="button"
            className="small"
            onClick={() => void c.exportSnapshotImage()}
            disabled={busy !== null || !info.snapshotImage}
            title={info.snapshotImage ? 'Download the snapshots as a qcow2 image' : 'Snapshot images (.qcow2) are not available in this build yet'}
          >
            Snapshots .qcow2
          </button>
        </div>
      </header>
      <div className="notices">
        {error !== null && <ErrorAlert message={error} onDismiss={() => c.dismissError()} />}
        {status.storageProblem && <ErrorAlert title="Not saved" message={status.storageProblem} />}
        {shared && (
          <div className="note share-result" role="region" aria-label="Shared">
            <span>
              {shared.copied ? 'Link copied.' : 'Copy this link.'} Send it with <strong>{shared.file}</strong> (downloaded): it opens this instant.
            </span>
            <input type="text" readOnly value={shared.link} aria-label="Link to this instant" onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="icon" aria-label="Close" onClick={() => c.dismissShared()}>×</button>
          </div>
        )}
        {info.truncation && <p className="note">This recording was cut off: {info.truncation}. It replays up to where it ends.</p>}
      </div>
      {help && <ShortcutHelp onClose={closeHelp} />}
      <Toolbar
        live={live}
        phase={status.phase}
        busy={busy}
        length={status.length}
        debugInfo={info.debugInfo}
        onRecord={onRecord}
        onStop={onStop}
        onMove={onMove}
        onPause={onPause}
        onJump={onScrub}
        jumpRef={jumpRef}
      />
      <TimelineBar length={status.length} position={position} markers={markers} disabled={busy !== null} onScrub={onScrub} lanes={hartLanes.lanes}
        run={lanes} consoleEvents={consoleEvents} notes={notes} ended={status.ended} />
      <StatusLine view={view} status={status} busy={busy} lastStop={lastStop} traps={traps} position={position} seeking={seeking} userEnd={lanes?.userEnd ?? null} />
      <div className="workspace">
        <DisassemblyPanel
          program={info.listing}
          local={view.localListing}
          pc={Number(BigInt(view.pc))}
          icount={view.icount}
          traps={traps}
          reveal={reveal}
          onToggleBreakpoint={onToggleBreakpoint}
          onGoTo={onGoTo}
        />
        <SourcePanel
          debugInfo={info.debugInfo}
          position={view.source}
          pcLabel={view.pcLabel}
          traps={traps}
          frame={frameIndex > 0 ? view.callStack?.[frameIndex] : undefined}
          executed={executed}
          accessed={lastStop?.reason === 'watchpoint' && view.icount === lastStop.icount ? lastStop.watch?.source : undefined}
          busy={busy !== null}
          sourceText={sourceText}
          onToggleLine={onToggleLine}
          onAddFiles={onAddFiles}
          onRunToLine={onRunToLine}
          listing={sourceListing}
        />
        <CallStackPanel frames={view.callStack} selected={frameIndex} onSelect={onSelectFrame} />
        <VariablesPanel
          icount={view.icount}
          frame={frameIndex}
          available={info.debugInfo === 'available'}
          busy={busy !== null}
          length={status.length}
          load={loadVariables}
          expand={expandVariable}
          history={valueHistory}
          onSeek={onScrub}
        />
        <RegistersPanel view={view} previous={previous} onSelectHart={onSelectHart} selectedHart={selectedHart} />
        <ConsolePanel
          events={consoleEvents}
          position={position}
          phase={status.phase}
          {...(info.example?.stdin !== undefined ? { sampleInput: info.example.stdin } : {})}
          onSend={onSend}
          onEndInput={onEndInput}
        />
        <MemoryPanel
          memory={view.memory}
          previous={memoryPrevious}
          traps={traps}
          accessed={lastStop?.reason === 'watchpoint' && lastStop.watch && view.icount === lastStop.icount ? lastStop.watch : undefined}
          busy={busy !== null}
          onShow={onShowMemory}
          onWatch={onWatch}
          onWhoWrote={onWhoWrote}
        />
        <NotesPanel notes={notes} icount={view.icount} busy={busy !== null} onAdd={onAddNote} onDelete={onDeleteNote} onSeek={onScrub} />
        <TrapsPanel traps={traps} busy={busy !== null} complete={completeLocation} onAdd={onAddTrap} onDelete={onDeleteTrap} onEnable={onEnableTrap} onShow={onShowTrap} />
      </div>
    </div>
  );
}
