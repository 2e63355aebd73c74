// Preloaded into a `hindsight` process (node --import) by tests/support/fill-ram.ts:
// at exit, writes the process's peak resident set size to the file named by HINDSIGHT_PEAK_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.HINDSIGHT_PEAK_RSS_FILE;
if (file) process.on('exit', () => { writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)); });
