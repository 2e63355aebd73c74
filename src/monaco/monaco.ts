// Monaco, bundled with the app (no CDN): the editor core, C highlighting, our
// RISC-V assembly language and theme, and its editor worker. Loaded lazily
// (import('./monaco')) so that the start page does not wait for it.
import * as monaco from 'monaco-editor/esm/vs/editor/edcore.main.js';
import 'monaco-editor/esm/vs/basic-languages/cpp/cpp.contribution.js';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker.js?worker';
import { RISCV_LANGUAGE, riscvConfiguration, riscvLanguage } from './riscv';

self.MonacoEnvironment = {
  getWorker: () => new EditorWorker({ name: 'monaco-editor' }),
};

monaco.languages.register({ id: RISCV_LANGUAGE, extensions: ['.S', '.s', '.asm'], aliases: ['RISC-V assembly'] });
monaco.languages.setMonarchTokensProvider(RISCV_LANGUAGE, riscvLanguage);
monaco.languages.setLanguageConfiguration(RISCV_LANGUAGE, riscvConfiguration);

export const THEME = 'hindsight-dark';

monaco.editor.defineTheme(THEME, {
  base: 'vs-dark',
  inherit: true,
  rules: [
    { token: 'keyword', foreground: '569cd6' },
    { token: 'keyword.directive', foreground: 'c586c0' },
    { token: 'variable', foreground: '9cdcfe' },
    { token: 'variable.predefined', foreground: '4fc1ff' },
    { token: 'number', foreground: 'b5cea8' },
    { token: 'number.encoding', foreground: '5f6670' },
    { token: 'type', foreground: '4ec9b0' },
    { token: 'type.identifier', foreground: 'dcdcaa', fontStyle: 'bold' },
    { token: 'comment', foreground: '6a9955' },
  ],
  colors: {
    'editor.background': '#15181d',
    'editorGutter.background': '#15181d',
    'editorLineNumber.foreground': '#5c6370',
    'editorLineNumber.activeForeground': '#9da5b4',
  },
});

/** The language for a source file name. */
export function languageFor(name: string): string {
  if (/\.(s|S|asm)$/.test(name)) return RISCV_LANGUAGE;
  if (/\.(c|h|cc|cpp|cxx|hpp|hh|hxx)$/.test(name)) return /\.(c|h)$/.test(name) ? 'c' : 'cpp';
  return 'plaintext';
}

export { monaco };
