// `hindsight serve`: the app's files and the recording over HTTP on loopback,
// and a link that names both; nothing outside the app's directory is served.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { HINDSIGHT_BIN, runHindsight, tempDir, EXAMPLES_DIR } from '../support/qemu';

let dir: string;
let server: ChildProcess | undefined;
beforeAll(() => { dir = tempDir('cli-serve'); });
afterAll(() => { server?.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); });

/** A raw GET (node's fetch would normalise the path before sending it). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('hindsight serve', () => {
  it('serves the app and the recording on loopback, prints a link to them, and nothing else', async () => {
    const file = join(dir, 'hello.hsr');
    expect(runHindsight(['record', 'hello.elf', '-o', file], { cwd: EXAMPLES_DIR }).status).toBe(0);
    const app = join(dir, 'app');
    mkdirSync(join(app, 'assets'), { recursive: true });
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>Hindsight</title>');
    writeFileSync(join(app, 'assets', 'main.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not for the network');

    server = spawn(process.execPath, [HINDSIGHT_BIN, 'serve', file, '--port', '0', '--app', app], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await new Promise<string>((done, fail) => {
      let text = '';
      server!.stdout!.on('data', (c: Buffer) => { text += c.toString(); if (text.includes('?src=')) done(text); });
      server!.on('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    });
    const link = new URL(/http:\/\/\S+/.exec(out)![0]);
    expect(link.hostname).toBe('127.0.0.1');
    const id = /recording ([0-9a-f]{32})/.exec(out)![1];
    expect(link.hash).toBe(`#rec=${id}&file=hello.hsr&size=${readFileSync(file).length}`);
    const port = Number(link.port);

    const recording = await get(port, link.searchParams.get('src')!);
    expect(recording.status).toBe(200);
    expect(recording.body.equals(readFileSync(file))).toBe(true);
    expect(recording.headers['access-control-allow-origin']).toBe('*');
    expect((await get(port, '/')).body.toString()).toContain('<title>Hindsight</title>');
    expect((await get(port, '/some/route')).body.toString()).toContain('<title>Hindsight</title>');
    expect((await get(port, '/assets/main.js')).headers['content-type']).toMatch(/javascript/);
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/nope.js']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body.toString()).not.toContain('not for the network');
    }
    expect((await get(port, '/', 'POST')).status).toBe(405);
    expect((await get(port, '/', 'HEAD')).body.length).toBe(0);
  });

  it('says what is missing: no app build, no recording', () => {
    const r = runHindsight(['serve', join(dir, 'hello.hsr'), '--app', join(dir, 'nowhere')], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the web app is not built in');
    const none = runHindsight(['serve', join(dir, 'missing.hsr'), '--app', join(dir, 'app')], { cwd: dir });
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/missing\.hsr/);
  });
});
