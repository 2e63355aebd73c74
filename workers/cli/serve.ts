// `hindsight serve FILE.hsr`: a small static web server for the app and one
// recording, so that a teammate on the network (or a CI job) can hand out a
// link that opens the recording in a browser: `?src=` names the file, the
// hash names the recording and, once the app has it, the instant.
// It listens on the loopback interface unless told otherwise, serves only
// GET and HEAD, only files inside the app's directory, and the recording.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, integerFlag, UsageError } from './args';
import { CliFailure, EXIT, terminalSafe } from './output';
import { isLoopback, listenOn, localAddress } from './listen';
import { loadRecording } from './record-replay';
import { formatRoute } from '../../src/lib/route';

const DEFAULT_PORT = 4180;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.elf': 'application/octet-stream', '.c': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8', '.hsr': 'application/octet-stream',
};

/** The web app's built files: beside the CLI bundle (dist/cli.mjs → dist/web). */
function defaultAppDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'web');
}


export async function cmdServe(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { '--port': { value: true }, '--host': { value: true }, '--app': { value: true } });
  if (args.positional.length !== 1) throw new UsageError('serve needs one recording: hindsight serve <file.hsr> [--port N] [--host ADDR]');
  const path = args.positional[0];
  const port = Number(integerFlag(args, '--port', 0n, 65535n) ?? BigInt(DEFAULT_PORT));
  const hostFlag = args.flags.get('--host');
  if (hostFlag === true || hostFlag === '') throw new UsageError('--host needs an address');
  const host = hostFlag ?? '127.0.0.1';
  const appFlag = args.flags.get('--app');
  const appDir = resolve(typeof appFlag === 'string' ? appFlag : defaultAppDir());
  if (!existsSync(join(appDir, 'index.html'))) {
    throw new CliFailure(EXIT.load, `the web app is not built in ${appDir} (no index.html): run "npm run build" first, or give --app DIR`);
  }
  const recording = loadRecording(path);
  const bytes = readFileSync(path);
  const name = basename(path).replace(/[^\w.+-]/g, '_') || 'recording.hsr';
  const recordingPath = `/recordings/${encodeURIComponent(name)}`;

  const server = createServer((req, res) => answer(req, res, appDir, recordingPath, bytes));
  const actualPort = await listenOn(server, host, port);
  const hostPart = localAddress(host);
  const hash = formatRoute({ kind: 'recording', id: recording.id, file: name, size: bytes.length });
  const link = `http://${hostPart}:${actualPort}/?src=${encodeURIComponent(recordingPath)}${hash}`;
  if (!isLoopback(host)) {
    process.stderr.write(`hindsight serve: listening on ${host}, not only on this machine: anyone who can reach it can download ${name}. Give the link with this machine's address.\n`);
  }
  process.stdout.write([`hindsight serve: ${name} (${bytes.length} bytes, recording ${recording.id})`, 'Open:', `  ${link}`].map(terminalSafe).join('\n') + '\n');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => { server.close(); done(); });
    process.once('SIGTERM', () => { server.close(); done(); });
  });
  return 0;
}

function answer(req: IncomingMessage, res: ServerResponse, appDir: string, recordingPath: string, recording: Uint8Array): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET and HEAD\n');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad request\n');
    return;
  }
  const send = (status: number, type: string, body: Uint8Array, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(body.length), 'X-Content-Type-Options': 'nosniff', ...extra });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  if (pathname === decodeURIComponent(recordingPath)) {
    // Any Hindsight page may read it (a teammate's own copy of the app, say).
    send(200, 'application/octet-stream', recording, { 'Access-Control-Allow-Origin': '*' });
    return;
  }
  const file = resolve(appDir, `.${pathname}`);
  const inside = file === appDir || file.startsWith(appDir + sep);
  let target = inside && existsSync(file) && statSync(file).isFile() ? file : undefined;
  // The app is one page: paths that are not files get it (its route is in the hash).
  if (!target && inside && !extname(pathname)) target = join(appDir, 'index.html');
  if (!target) {
    send(404, 'text/plain', new TextEncoder().encode('not found\n'));
    return;
  }
  send(200, TYPES[extname(target)] ?? 'application/octet-stream', readFileSync(target));
}
