import { expect, test } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineState, errors, openExample, recordToEnd, screenshot, settled, slider } from './helpers';

// Two browser profiles: the sender records, sets a watchpoint and a note, shares; the teammate opens the
// link, is asked for the file, gives it, and lands at the same instant with the note and the watchpoint.
test('share a moment: the link and the file open the same instant, notes and watchpoint in another browser', async ({ page, browser }, info) => {
  await openExample(page, 'corruption');
  await recordToEnd(page);

  const memory = page.getByRole('region', { name: 'Memory' });
  await memory.getByRole('textbox', { name: 'Memory address' }).fill('calibration_offset');
  await memory.getByRole('button', { name: 'Show', exact: true }).click();
  await settled(page);
  await memory.getByRole('button', { name: 'Who wrote this?' }).click();
  await settled(page);
  const instant = (await engineState(page)).icount;
  const traps = page.getByRole('list', { name: 'Breakpoints and watchpoints' });
  await expect(traps).toContainText('calibration_offset');

  const notes = page.getByRole('region', { name: 'Notes' });
  await notes.getByRole('textbox', { name: 'Note at this instant' }).fill('this store corrupts calibration_offset');
  await notes.getByRole('button', { name: 'Add note' }).click();
  await expect(notes.getByRole('list', { name: 'Notes' })).toContainText('this store corrupts calibration_offset');

  // A reload keeps all of it.
  await page.reload();
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(instant));
  await expect(traps).toContainText('calibration_offset');
  await expect(notes.getByRole('list', { name: 'Notes' })).toContainText('this store corrupts calibration_offset');

  // Share: the file is downloaded, and the link names the recording, the instant and the file.
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const download = await downloading;
  const file = info.outputPath(download.suggestedFilename());
  await download.saveAs(file);
  const link = await page.getByRole('textbox', { name: 'Link to this instant' }).inputValue();
  expect(link).toMatch(new RegExp(`#rec=[0-9a-f]{32}&t=${instant}&file=corruption\\.hsr&size=[0-9]+$`));
  await screenshot(page, 'share-link');

  // The teammate: another profile, with nothing stored.
  const other = await browser.newContext();
  const theirs = await other.newPage();
  await theirs.goto(link);
  await expect(theirs.getByRole('heading', { name: 'This link needs its recording' })).toBeVisible();
  await expect(theirs.getByRole('main')).toContainText('corruption.hsr');
  expect(theirs.url()).toBe(link);
  await screenshot(theirs, 'share-needs-file');

  // The wrong file is refused, saying so; the page still asks for the right one, and the link stays.
  await theirs.getByLabel('Recording file for this link').setInputFiles({ name: 'other.hsr', mimeType: 'application/octet-stream', buffer: Buffer.from('HSREC\r\n\x1a') });
  await expect(errors(theirs)).toContainText('Cannot open other.hsr');
  await expect(theirs.getByRole('heading', { name: 'This link needs its recording' })).toBeVisible();
  expect(theirs.url()).toBe(link);

  await theirs.getByLabel('Recording file for this link').setInputFiles(file);
  await expect(slider(theirs)).toHaveAttribute('aria-valuenow', String(instant));
  await theirs.evaluate(() => window.__hindsight!.settled());
  expect((await theirs.evaluate(() => window.__hindsight!.engineState())).icount).toBe(instant);
  await expect(theirs.getByRole('list', { name: 'Breakpoints and watchpoints' })).toContainText('calibration_offset');
  await expect(theirs.getByRole('region', { name: 'Notes' }).getByRole('list', { name: 'Notes' })).toContainText('this store corrupts calibration_offset');

  // The restored watchpoint works there: from the end, reverse-continue stops at the same store.
  await theirs.getByRole('textbox', { name: 'Go to icount' }).fill(String(Number(await slider(theirs).getAttribute('aria-valuemax'))));
  await theirs.getByRole('button', { name: 'Go', exact: true }).click();
  await theirs.evaluate(() => window.__hindsight!.settled());
  await theirs.getByRole('button', { name: 'Reverse continue', exact: true }).click();
  await theirs.evaluate(() => window.__hindsight!.settled());
  expect((await theirs.evaluate(() => window.__hindsight!.engineState())).icount).toBe(instant);

  // A reload there keeps it too, and the link opens without asking again.
  await theirs.goto(link);
  await theirs.reload();
  await expect(slider(theirs)).toHaveAttribute('aria-valuenow', String(instant));
  await expect(theirs.getByRole('region', { name: 'Notes' }).getByRole('list', { name: 'Notes' })).toContainText('this store corrupts calibration_offset');
  await screenshot(theirs, 'share-opened');
  await expect(errors(theirs)).toHaveCount(0);
  await other.close();
});

// `hindsight serve` hands out a link: the app served with the recording, `?src=` fetching it; and a bad src says why.
test('a recording opened from a URL (?src=), as hindsight serve links it; a missing one is reported', async ({ page }, info) => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const file = info.outputPath('echo.hsr');
  const recorded = spawnSync(process.execPath, [join(root, 'bin/hindsight.mjs'), 'record', 'echo.elf', '-o', file, '--stdin', '/dev/null'], { cwd: join(root, 'public/examples') });
  expect(recorded.status, recorded.stderr.toString()).toBe(0);
  const server = spawn(process.execPath, [join(root, 'bin/hindsight.mjs'), 'serve', file, '--port', '0', '--app', join(root, 'dist/web')], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const link = await new Promise<string>((done, fail) => {
      let text = '';
      server.stdout.on('data', (c: Buffer) => { text += c.toString(); const m = /http:\/\/\S+/.exec(text); if (m) done(m[0]); });
      server.on('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    });
    await page.goto(link);
    await expect(page.getByText('replay', { exact: true })).toBeVisible();
    await expect(slider(page)).toHaveAttribute('aria-valuemax', /^[1-9][0-9]*$/);
    expect(new URL(page.url()).hash).toMatch(/^#rec=[0-9a-f]{32}&t=0$/);
    await expect(page.locator('.recording-name')).toHaveText('echo');
    await expect(errors(page)).toHaveCount(0);
    // A reload opens the stored copy (no second download), at the same place.
    await page.reload();
    await expect(page.locator('.recording-name')).toHaveText('echo');
  } finally {
    server.kill('SIGTERM');
  }
  await page.route((url) => url.pathname === '/ci/missing.hsr', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto('/?src=/ci/missing.hsr');
  await expect(errors(page)).toContainText(/Could not fetch http:\/\/127\.0\.0\.1:\d+\/ci\/missing\.hsr: the server answered 404/);
  await page.goto('/?src=/no/such/recording.hsr');
  await expect(errors(page)).toContainText('the server answered with a web page, not a recording');
  await page.goto('/?src=javascript:alert(1)');
  await expect(errors(page)).toContainText('Recordings are fetched over http or https, not javascript');
});
