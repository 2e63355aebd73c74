// Monaco's editor core without its bundled languages: the same API as the package root.
declare module 'monaco-editor/esm/vs/editor/edcore.main.js' {
  export * from 'monaco-editor';
}
declare module 'monaco-editor/esm/vs/basic-languages/cpp/cpp.contribution.js';
