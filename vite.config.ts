import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // The engine worker and Monaco's editor worker are ES modules.
  worker: { format: 'es' },
  build: {
    // dist/ also holds the command-line build (dist/cli.mjs), which must survive a web build.
    outDir: 'dist/web',
    emptyOutDir: true,
    // Monaco is one lazily loaded chunk of about 3.6 MB (bundled so that the app works offline).
    chunkSizeWarningLimit: 4096,
  },
  preview: { port: 4173, strictPort: true },
});
