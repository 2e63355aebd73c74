import { useCallback, useEffect, useRef, useState } from 'react';
import { proxy } from 'comlink';
import type { ExampleInfo, OpenAnswer, ProgressEvent, StorageOverview, ViewRequest } from '../workers/engine-api';
import { loadSnapshotBudgetSetting, saveSnapshotBudgetSetting } from './lib/snapshot-budget-setting';
import { engine, onEngineFailure } from './engine';
import { DebuggerController, DEFAULT_MEMORY_LENGTH } from './debugger/controller';
import { parseRoute, pushRoute, replaceRoute, type Route } from './lib/route';
import { download, isSourceFile, readFile } from './lib/download';
import { setHookController } from './test-hook';
import { StartPage } from './components/StartPage';
import { Debugger } from './components/Debugger';
import { ErrorAlert } from './components/ErrorAlert';
import { NeedFilePage } from './components/NeedFilePage';
import { fetchRecording, type FetchProgress } from './lib/fetch-recording';
import { formatCount } from './format';
import { loadMonaco } from './monaco/MonacoView';

type Screen =
  | { kind: 'start' }
  | { kind: 'opening'; what: string; progress: (ProgressEvent & { kind: 'progress' }) | null; download?: FetchProgress }
  | { kind: 'debugger'; controller: DebuggerController; key: number }
  /** A link to a recording this browser does not have: the file is asked for. */
  | { kind: 'need-file'; route: Route & { kind: 'recording' } };

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function initialRequest(example?: string): ViewRequest {
  return { memory: { at: example === 'corruption' ? 'calibration_offset' : 'sp', length: DEFAULT_MEMORY_LENGTH } };
}

/** The first view of a recording a link names: on the link's hart, if it names one. */
function linkRequest(route: Route & { kind: 'recording' }): ViewRequest {
  return { ...initialRequest(), ...(route.hart !== undefined ? { hart: route.hart } : {}) };
}

export function App() {
  const [screen, setScreen] = useState<Screen>(() => (parseRoute(location.hash).kind === 'start' && !new URLSearchParams(location.search).has('src')
    ? { kind: 'start' } : { kind: 'opening', what: 'the recording', progress: null }));
  const [examples, setExamples] = useState<ExampleInfo[] | null>(null);
  const [examplesError, setExamplesError] = useState<string | null>(null);
  const [storage, setStorage] = useState<StorageOverview | null>(null);
  /** Harts for the programs opened from the start page (the engine keeps the same number). */
  const [harts, setHarts] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const openId = useRef(0);
  const screenRef = useRef(screen);

  useEffect(() => {
    screenRef.current = screen;
  });

  const refreshRecordings = useCallback(async () => {
    try {
      setStorage(await engine.listRecordings());
    } catch (e) {
      setStorage({ recordings: [], problem: messageOf(e) });
    }
  }, []);

  useEffect(() => onEngineFailure((message) => setError(message)), []);

  useEffect(() => {
    let live = true;
    engine.listExamples().then(
      (list) => { if (live) setExamples(list); },
      (e: unknown) => { if (live) setExamplesError(messageOf(e)); },
    );
    // The snapshot budget kept in this browser first: the list shows it, and timelines use it.
    engine.setSnapshotBudget(loadSnapshotBudgetSetting()).catch(() => undefined).then(() => engine.listRecordings()).then(
      (overview) => { if (live) setStorage(overview); },
      (e: unknown) => { if (live) setStorage({ recordings: [], problem: messageOf(e) }); },
    );
    // On the start page, load the editor while the page is idle, so that it is ready when a recording opens
    // (not while a recording is being opened: the engine is busy then, and the page should stay light).
    const idle = typeof requestIdleCallback === 'function' && parseRoute(location.hash).kind === 'start' ? requestIdleCallback(() => void loadMonaco().catch(() => {}), { timeout: 3000 }) : undefined;
    return () => {
      live = false;
      if (idle !== undefined) cancelIdleCallback(idle);
    };
  }, []);

  const leave = useCallback(() => {
    const s = screenRef.current;
    if (s.kind === 'debugger') s.controller.dispose();
    setHookController(null);
  }, []);

  /** Opens something in the debugger; `push` adds a history entry (Back returns to the start page). */
  const open = useCallback(async (what: string, push: boolean, run: (listener: (e: ProgressEvent) => void) => Promise<OpenAnswer>,
    /** Where a failure goes back to (the start page if not given), keeping this route in the URL. */
    fallback?: { screen: Screen; route: Route }) => {
    const id = ++openId.current;
    leave();
    setError(null);
    setScreen({ kind: 'opening', what, progress: null });
    try {
      const answer = await run((e) => {
        if (id === openId.current && e.kind === 'progress') setScreen({ kind: 'opening', what, progress: e });
      });
      if (id !== openId.current) return;
      const controller = new DebuggerController(engine, answer, { onRoute: replaceRoute });
      setHookController(controller);
      setScreen({ kind: 'debugger', controller, key: id });
      const { session, view } = answer;
      const route: Route = session.recordingId
        ? { kind: 'recording', id: session.recordingId, t: view.icount, ...(view.hart !== view.runningHart ? { hart: view.hart } : {}) }
        : session.example ? { kind: 'example', name: session.example.name, t: view.icount } : { kind: 'start' };
      if (push) pushRoute(route);
      else replaceRoute(route);
    } catch (e) {
      if (id !== openId.current) return;
      setError(messageOf(e));
      setScreen(fallback?.screen ?? { kind: 'start' });
      replaceRoute(fallback?.route ?? { kind: 'start' });
      void refreshRecordings();
    }
  }, [leave, refreshRecordings]);

  const openRoute = useCallback((route: Route, push: boolean) => {
    if (route.kind === 'recording') {
      const request = linkRequest(route);
      return (async () => {
        // A link from a teammate names a recording this browser may not have: ask for its file, keeping the link.
        if (!(await engine.hasRecording(route.id).catch(() => false))) {
          leave();
          setScreen({ kind: 'need-file', route });
          return;
        }
        await open('the recording', push, (listener) => engine.openRecording(route.id, route.t, request, proxy(listener)));
      })();
    }
    if (route.kind === 'example') {
      return open(route.name, push, async () => {
        const answer = await engine.openExample(route.name, initialRequest(route.name));
        return answer;
      });
    }
    return Promise.resolve();
  }, [open, leave]);

  const goHome = useCallback(() => {
    openId.current++;
    leave();
    setScreen({ kind: 'start' });
    void engine.close().catch(() => {});
    void refreshRecordings();
  }, [leave, refreshRecordings]);

  /** `?src=URL`: fetches the recording, stores it and opens it (at the hash's instant, if the hash names it). */
  const openFromUrl = useCallback(async (src: string, route: Route) => {
    if (route.kind === 'recording' && (await engine.hasRecording(route.id).catch(() => false))) return openRoute(route, false);
    const id = ++openId.current;
    setScreen({ kind: 'opening', what: src, progress: null });
    let fetched: { name: string; bytes: Uint8Array };
    try {
      fetched = await fetchRecording(src, (download) => {
        if (id === openId.current) setScreen({ kind: 'opening', what: src, progress: null, download });
      });
    } catch (e) {
      if (id !== openId.current) return;
      setError(messageOf(e));
      setScreen({ kind: 'start' });
      return;
    }
    if (id !== openId.current) return;
    const { name, bytes } = fetched;
    if (route.kind === 'recording') {
      const request = linkRequest(route);
      return open(name, false, (listener) => engine.openLinkedFile(bytes, name, route.id, route.t ?? 0, request, proxy(listener)));
    }
    return open(name, false, (listener) => engine.openFile(bytes, name, initialRequest(), proxy(listener)));
  }, [open, openRoute]);

  // The URL at load time, and Back/Forward.
  useEffect(() => {
    const initial = parseRoute(location.hash);
    const src = new URLSearchParams(location.search).get('src');
    // Opened from a callback: the page is already showing "Opening…".
    if (src) void Promise.resolve().then(() => openFromUrl(src, initial));
    else if (initial.kind !== 'start') void Promise.resolve().then(() => openRoute(initial, false));
    const onPop = () => {
      const route = parseRoute(location.hash);
      const s = screenRef.current;
      if (route.kind === 'start') {
        if (s.kind !== 'start') goHome();
        return;
      }
      if (s.kind === 'debugger') {
        const st = s.controller.state;
        if (route.kind === 'recording' && st.status.recordingId === route.id) { if (route.t !== undefined) s.controller.seek(route.t); return; }
        if (route.kind === 'example' && !st.status.recordingId && st.info.example?.name === route.name) { s.controller.seek(route.t); return; }
      }
      void openRoute(route, false);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [openRoute, openFromUrl, goHome]);

  const onHome = useCallback(() => {
    goHome();
    pushRoute({ kind: 'start' });
  }, [goHome]);

  /** The file a link asked for: checked to be that recording, stored, and opened at the link's instant. */
  const openLinkedFile = useCallback((route: Route & { kind: 'recording' }, file: File) => {
    const request = linkRequest(route);
    // On failure, back to the request for the file, saying what was wrong with this one.
    return open(file.name, false, async (listener) => engine.openLinkedFile(await readFile(file), file.name, route.id, route.t ?? 0, request, proxy(listener)),
      { screen: { kind: 'need-file', route }, route });
  }, [open]);

  /** One file (a program or recording), or a program with a disk image: the ELF is the one that starts with its magic. */
  const openFile = useCallback((files: File[]) => {
    if (files.length > 2) { setError(`Pick one file, or a program and its disk image: ${files.length} files were given.`); return; }
    return open(files.map((f) => f.name).join(' + '), true, async (listener) => {
      const read = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: await readFile(f) })));
      if (read.length === 1) return engine.openFile(read[0].bytes, read[0].name, initialRequest(), proxy(listener));
      const isElf = (b: Uint8Array) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
      const programs = read.filter((f) => isElf(f.bytes));
      if (programs.length !== 1) {
        throw new Error(`With two files, one must be a RISC-V ELF program and the other its disk image: ${programs.length === 0 ? 'neither' : 'both'} of ${read.map((f) => f.name).join(' and ')} ${programs.length === 0 ? 'is' : 'are'} an ELF.`);
      }
      const disk = read.find((f) => f !== programs[0])!;
      return engine.openFile(programs[0].bytes, programs[0].name, initialRequest(), proxy(listener), disk);
    });
  }, [open]);

  // Files dropped anywhere: a program or recording to open, or source files for the source view.
  useEffect(() => {
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      setDragging(true);
    };
    const leaveWindow = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = async (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setDragging(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length === 0) return;
      const s = screenRef.current;
      if (s.kind === 'debugger' && files.every((f) => isSourceFile(f.name))) {
        const texts: Record<string, string> = {};
        for (const f of files) texts[f.name] = new TextDecoder().decode(await readFile(f));
        await s.controller.addSources(texts);
        return;
      }
      if (s.kind === 'need-file') {
        void openLinkedFile(s.route, files[0]);
        return;
      }
      const others = files.filter((f) => !isSourceFile(f.name));
      void openFile(others.length > 0 ? others.slice(0, 2) : [files[0]]);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leaveWindow);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leaveWindow);
      window.removeEventListener('drop', drop);
    };
  }, [openFile, openLinkedFile]);

  const onRename = useCallback(async (id: string, name: string) => {
    try {
      await engine.renameRecording(id, name);
    } catch (e) {
      setError(messageOf(e));
    }
    await refreshRecordings();
  }, [refreshRecordings]);

  const onDelete = useCallback(async (id: string) => {
    try {
      await engine.deleteRecording(id);
    } catch (e) {
      setError(messageOf(e));
    }
    await refreshRecordings();
  }, [refreshRecordings]);

  const onExport = useCallback(async (id: string) => {
    try {
      const { name, bytes } = await engine.exportRecording(id);
      download(name, bytes);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);

  return (
    <>
      {screen.kind === 'debugger' && error !== null && (
        <div className="notices floating-notices"><ErrorAlert message={error} onDismiss={() => setError(null)} /></div>
      )}
      {screen.kind === 'debugger' && <Debugger key={screen.key} controller={screen.controller} onHome={onHome} />}
      {screen.kind !== 'debugger' && (
        <>
          {error !== null && <div className="notices page-notices"><ErrorAlert message={error} onDismiss={() => setError(null)} /></div>}
          {screen.kind === 'opening' && (
            <div className="opening" role="status" aria-live="polite">
              <p className="brand">Hindsight</p>
              <p>
                Opening {screen.what}…
                {screen.progress && ` ${screen.progress.activity[0].toUpperCase()}${screen.progress.activity.slice(1)}: ${formatCount(screen.progress.icount)} instructions`}
                {screen.progress?.fraction !== undefined && ` (${Math.round(screen.progress.fraction * 100)}%)`}
              </p>
              {screen.progress?.fraction !== undefined && <progress max={1} value={screen.progress.fraction} aria-label="Preparing the timeline" />}
              {screen.download && (
                <>
                  <span>Downloading: {formatCount(screen.download.received)}{screen.download.total !== undefined && ` of ${formatCount(screen.download.total)}`} bytes</span>
                  {screen.download.total !== undefined && <progress max={screen.download.total} value={screen.download.received} aria-label="Downloading the recording" />}
                </>
              )}
              <button type="button" className="small" onClick={() => void engine.pause()} title="Stop preparing: the timeline opens now, and travels further ahead more slowly">
                Skip
              </button>
            </div>
          )}
          {screen.kind === 'need-file' && (
            <NeedFilePage route={screen.route} onFile={(f) => void openLinkedFile(screen.route, f)} onHome={onHome} />
          )}
          {screen.kind === 'start' && (
            <StartPage
              examples={examples}
              examplesError={examplesError}
              storage={storage}
              onOpenExample={(name) => void openRoute({ kind: 'example', name, t: 0 }, true)}
              onOpenRecording={(id) => void openRoute({ kind: 'recording', id }, true)}
              onRename={onRename}
              onDelete={onDelete}
              onExport={(id) => void onExport(id)}
              onOpenFile={(files) => void openFile(files)}
              harts={harts}
              onSetHarts={(n) => { setHarts(n); void engine.setHarts(n).catch((e: unknown) => setError(messageOf(e))); }}
              onSetSnapshotBudget={(mib) => {
                saveSnapshotBudgetSetting(mib);
                void engine.setSnapshotBudget(mib).then(refreshRecordings, (e: unknown) => setError(messageOf(e)));
              }}
            />
          )}
        </>
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop an ELF program to record it, a <code>.hsr</code> recording to replay it{screen.kind === 'debugger' ? ', or source files for the source view' : ''}.</p>
        </div>
      )}
    </>
  );
}
