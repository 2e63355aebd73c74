#!/usr/bin/env node
// Entry point of the `hindsight` command; the CLI is bundled into dist/ by `npm install` (prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('hindsight: the command is not built yet: run "npm install" (or "npm run build:cli") in the project folder\n');
  process.exit(1);
}
await import(cli.href);
