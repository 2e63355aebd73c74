import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // The engine worker is an ES module (it imports the engine and comlink).
  worker: { format: 'es' },
  build: {
    // dist/ also holds the command-line build (dist/cli.mjs), which must survive a web build.
    outDir: 'dist/web',
    emptyOutDir: true,
  },
  preview: { port: 4173, strictPort: true },
});
