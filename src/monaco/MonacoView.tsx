// A read-only Monaco editor for the disassembly and source views: text, line
// decorations (current line, breakpoints), revealing a line, and clicks in
// the gutter. Monaco itself is loaded on first use (see loadMonaco).
import { use, useEffect, useRef } from 'react';
import type * as Monaco from 'monaco-editor';

type MonacoModule = typeof import('./monaco');

let loading: Promise<MonacoModule> | undefined;

/** Loads Monaco once (a separate chunk, with its editor worker). */
export function loadMonaco(): Promise<MonacoModule> {
  loading ??= import('./monaco');
  loading.catch(() => { loading = undefined; });
  return loading;
}

export interface LineDecoration {
  line: number;
  /** Class of the whole line. */
  className?: string;
  /** Class of the glyph margin cell. */
  glyph?: string;
  /** Tooltip of the glyph. */
  hover?: string;
}

export interface MonacoViewProps {
  value: string;
  language: string;
  /** The editor's accessible name. */
  label: string;
  /** Text of the line-number gutter (e.g. addresses); default: line numbers. */
  lineNumbers?: (line: number) => string;
  lineNumbersMinChars?: number;
  decorations: readonly LineDecoration[];
  /** Scrolls to `line` whenever `key` changes. */
  reveal?: { line: number; key: string } | null;
  /** A click in the glyph margin or on a line number. */
  onGutterClick?: (line: number) => void;
  /** The line the (hidden) cursor moved to: where the user clicked or moved with the keys. */
  onCursorLine?: (line: number) => void;
  className?: string;
}

/** Suspends until Monaco is loaded; wrap in <Suspense>. */
export function MonacoView(props: MonacoViewProps) {
  const mod = use(loadMonaco());
  return <Editor {...props} mod={mod} />;
}

function Editor({ mod, value, language, label, lineNumbers, lineNumbersMinChars, decorations, reveal, onGutterClick, onCursorLine, className }: MonacoViewProps & { mod: MonacoModule }) {
  const { monaco, THEME } = mod;
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<Monaco.editor.IStandaloneCodeEditor | null>(null);
  const decorationsRef = useRef<Monaco.editor.IEditorDecorationsCollection | null>(null);
  const clickRef = useRef(onGutterClick);
  const cursorRef = useRef(onCursorLine);
  const numbersRef = useRef(lineNumbers);

  useEffect(() => {
    clickRef.current = onGutterClick;
    cursorRef.current = onCursorLine;
    numbersRef.current = lineNumbers;
  });

  // Create the editor once.
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const model = monaco.editor.createModel('', 'plaintext');
    const editor = monaco.editor.create(element, {
      model,
      theme: THEME,
      readOnly: true,
      domReadOnly: true,
      ariaLabel: label,
      automaticLayout: true,
      minimap: { enabled: false },
      glyphMargin: true,
      folding: false,
      lineDecorationsWidth: 6,
      lineNumbers: (n: number) => (numbersRef.current ? numbersRef.current(n) : String(n)),
      lineNumbersMinChars: lineNumbersMinChars ?? 4,
      scrollBeyondLastLine: false,
      renderLineHighlight: 'none',
      occurrencesHighlight: 'off',
      selectionHighlight: false,
      links: false,
      contextmenu: false,
      fontSize: 13,
      fontFamily: "'DejaVu Sans Mono', ui-monospace, Menlo, Consolas, monospace",
      renderWhitespace: 'none',
      guides: { indentation: false },
      stickyScroll: { enabled: false },
      scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
      padding: { top: 4 },
      // The EditContext input path measures the DOM after every render (a forced layout per scrubbing step); a read-only view needs neither.
      editContext: false,
    });
    editorRef.current = editor;
    decorationsRef.current = editor.createDecorationsCollection();
    const { MouseTargetType } = monaco.editor;
    const sub = editor.onMouseDown((e) => {
      const t = e.target.type;
      if ((t === MouseTargetType.GUTTER_GLYPH_MARGIN || t === MouseTargetType.GUTTER_LINE_NUMBERS || t === MouseTargetType.GUTTER_LINE_DECORATIONS) && e.target.position) {
        clickRef.current?.(e.target.position.lineNumber);
      }
    });
    // Only the user's moves (a click, the keys): not those of setting the text.
    const cursorSub = editor.onDidChangeCursorPosition((e) => {
      if (e.source === 'mouse' || e.source === 'keyboard') cursorRef.current?.(e.position.lineNumber);
    });
    return () => {
      cursorSub.dispose();
      sub.dispose();
      editor.dispose();
      model.dispose();
      editorRef.current = null;
      decorationsRef.current = null;
    };
    // The editor is made once; later prop changes are applied by the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [monaco, THEME]);

  useEffect(() => {
    editorRef.current?.updateOptions({ ariaLabel: label });
  }, [label]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    if (model.getValue() !== value) model.setValue(value);
    if (model.getLanguageId() !== language) monaco.editor.setModelLanguage(model, language);
    // Line-number text may depend on the new value.
    editorRef.current?.updateOptions({ lineNumbers: (n: number) => (numbersRef.current ? numbersRef.current(n) : String(n)) });
  }, [monaco, value, language]);

  useEffect(() => {
    decorationsRef.current?.set(decorations.map((d) => ({
      range: new monaco.Range(d.line, 1, d.line, 1),
      options: {
        isWholeLine: true,
        ...(d.className ? { className: d.className } : {}),
        ...(d.glyph ? { glyphMarginClassName: d.glyph } : {}),
        ...(d.hover ? { glyphMarginHoverMessage: { value: d.hover } } : {}),
      },
    })));
  }, [monaco, decorations]);

  const revealLine = reveal?.line;
  const revealKey = reveal?.key;
  useEffect(() => {
    if (revealLine === undefined) return;
    editorRef.current?.revealLineInCenterIfOutsideViewport(revealLine, monaco.editor.ScrollType.Immediate);
  }, [monaco, revealLine, revealKey]);

  return <div ref={host} className={className ?? 'monaco-host'} />;
}
