import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['workers/**/*.test.ts', 'tests/**/*.test.ts', 'src/**/*.test.{ts,tsx}'],
    exclude: ['workers/core/**', 'node_modules/**', 'e2e/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Differential tests run QEMU and the emulator side by side; two cores are enough for two files at once.
    maxWorkers: 2,
  },
});
