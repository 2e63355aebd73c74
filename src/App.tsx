import { useCallback, useEffect, useRef, useState } from 'react';
import { proxy } from 'comlink';
import type { ExampleInfo, MachineState, ProgramInfo, RunEvent } from '../workers/engine-api';
import { engine, onEngineFailure } from './engine';
import { appendConsole, type ConsoleEntry, type ConsoleStreamKind, type Phase } from './session';
import { ExampleList } from './components/ExampleList';
import { ConsolePanel } from './components/ConsolePanel';
import { StatusLine } from './components/StatusLine';
import { MachineStatePanel } from './components/MachineStatePanel';
import { ErrorAlert } from './components/ErrorAlert';

/** Instructions per Run or Continue before the run stops and asks to be continued. */
const RUN_LIMIT = 1_000_000_000;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function App() {
  const [examples, setExamples] = useState<ExampleInfo[] | null>(null);
  const [examplesError, setExamplesError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [entries, setEntries] = useState<ConsoleEntry[]>([]);
  const [machineState, setMachineState] = useState<MachineState | null>(null);
  /** Identifies the current run: events and results of an older run are dropped. */
  const runId = useRef(0);

  useEffect(() => {
    let live = true;
    engine.listExamples().then(
      (list) => { if (live) setExamples(list); },
      (e: unknown) => { if (live) setExamplesError(messageOf(e)); },
    );
    return () => { live = false; };
  }, []);

  useEffect(() => onEngineFailure((message) => setError(message)), []);

  const write = useCallback((stream: ConsoleStreamKind, text: string) => {
    setEntries((old) => appendConsole(old, stream, text));
  }, []);

  const refreshState = useCallback(async (id: number) => {
    const state = await engine.state();
    if (id === runId.current) setMachineState(state);
  }, []);

  /** Runs (or continues) the loaded program. */
  const go = useCallback(async (program: string) => {
    const id = ++runId.current;
    setError(null);
    setMachineState(null);
    setPhase({ kind: 'running', program, waiting: false, icount: '0', instructionsPerSecond: 0 });
    const listener = proxy((event: RunEvent) => {
      if (id !== runId.current) return;
      if (event.kind === 'output') {
        write(event.stream, event.text);
        return;
      }
      const waiting = event.status === 'waiting-input';
      setPhase({ kind: 'running', program, waiting, icount: event.icount, instructionsPerSecond: event.instructionsPerSecond });
      if (waiting) void refreshState(id).catch(() => {});
      else setMachineState(null);
    });
    try {
      const result = await engine.run(RUN_LIMIT, listener);
      if (id !== runId.current) return;
      setPhase({ kind: 'finished', program, result });
      await refreshState(id);
    } catch (e) {
      if (id !== runId.current) return;
      setError(messageOf(e));
      setPhase({ kind: 'idle' });
    }
  }, [write, refreshState]);

  /** Loads a program into a fresh console and runs it. */
  const start = useCallback(async (program: string, load: () => Promise<ProgramInfo>) => {
    const id = ++runId.current;
    setError(null);
    setEntries([]);
    setMachineState(null);
    setPhase({ kind: 'loading', program });
    try {
      await load();
    } catch (e) {
      if (id !== runId.current) return;
      setError(messageOf(e));
      setPhase({ kind: 'idle' });
      return;
    }
    if (id === runId.current) await go(program);
  }, [go]);

  const runExample = useCallback((name: string) => start(name, () => engine.loadExample(name)), [start]);

  const runFile = useCallback(async (file: File) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      setError(`Cannot read ${file.name}: ${messageOf(e)}`);
      return;
    }
    await start(file.name, () => engine.loadProgram(bytes, file.name));
  }, [start]);

  const pause = useCallback(() => {
    engine.pause().catch((e: unknown) => setError(messageOf(e)));
  }, []);

  const sendLine = useCallback((line: string) => {
    write('stdin', `${line}\n`);
    engine.sendInput(`${line}\n`).catch((e: unknown) => setError(messageOf(e)));
  }, [write]);

  const endInput = useCallback(() => {
    write('note', '(end of input)\n');
    engine.endInput().catch((e: unknown) => setError(messageOf(e)));
  }, [write]);

  const busy = phase.kind === 'loading' || phase.kind === 'running';
  const program = phase.kind === 'idle' ? null : phase.program;
  const canContinue = phase.kind === 'finished' && phase.result.stop.reason !== 'exit';

  return (
    <>
      <header className="site-header">
        <h1>Hindsight</h1>
        <p className="tagline">A time-travel debugger for RISC-V programs, running in your browser.</p>
      </header>
      <main className="layout">
        <ExampleList
          examples={examples}
          loadError={examplesError}
          current={program}
          busy={busy}
          onRun={runExample}
          onRunFile={runFile}
        />
        <div className="workspace">
          {error !== null && <ErrorAlert message={error} onDismiss={() => setError(null)} />}
          <StatusLine phase={phase} />
          <ConsolePanel
            entries={entries}
            phase={phase}
            onSend={sendLine}
            onEndInput={endInput}
            onPause={pause}
            onContinue={canContinue && program !== null ? () => void go(program) : undefined}
          />
          {machineState !== null && <MachineStatePanel state={machineState} />}
        </div>
      </main>
    </>
  );
}
