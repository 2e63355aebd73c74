// Issue 17 in the browser: a recording in IndexedDB survives its tab being
// closed mid-recording, and opens again as the shorter recording it is, saying
// why; the same file imported twice is recognised by its content and opened,
// not stored twice; the snapshot budget is a setting.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { button, engineState, errors, openExample, settled, slider } from './helpers';

test('a recording survives its tab closed mid-recording; reopened, it says why it is shorter', async ({ context }) => {
  const page = await context.newPage();
  await openExample(page, 'bench');
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText(/Recording… · icount [1-9][0-9,]{9,}/);
  // Pieces are saved about every half second while the program runs; the whole run records in about 1.5 s or more.
  await page.waitForTimeout(900);
  await expect(page.getByRole('status'), 'the tab must close while the program still runs').toContainText('Recording…', { timeout: 1 });
  await page.close({ runBeforeUnload: false });

  const again = await context.newPage();
  await again.goto('/');
  const table = again.getByRole('table', { name: 'Recordings in this browser' });
  const row = table.getByRole('row', { name: /bench\.elf/ });
  await expect(row).toContainText('not finished');
  await row.getByRole('button', { name: 'Open bench.elf' }).click();
  await expect(again.getByText(/This recording was cut off: the tab was closed or the browser stopped while it was recording \(it holds everything saved up to icount [1-9]\d*\)/))
    .toBeVisible({ timeout: 45_000 });
  await settled(again);
  const state = await engineState(again);
  expect(state.length).toBeGreaterThan(1_000_000);
  await expect(slider(again)).toHaveAttribute('aria-valuemax', String(state.length));
  // It replays to its end, every digest matching.
  await slider(again).focus();
  await again.keyboard.press('End');
  await settled(again);
  expect((await engineState(again)).icount).toBe(state.length);
  await expect(errors(again)).toHaveCount(0);
});

test('the same recording imported twice is recognised and opened, not stored twice', async ({ page }, info) => {
  const file = info.outputPath('hello.hsr');
  const root = join(import.meta.dirname, '..');
  const r = spawnSync(process.execPath, [join(root, 'bin/hindsight.mjs'), 'record', join(root, 'public/examples/hello.elf'), '-o', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  await page.goto('/');
  for (let i = 0; i < 2; i++) {
    await page.getByLabel('Open a program or recording…').setInputFiles(file);
    await expect(page.getByText('replay', { exact: true })).toBeVisible();
    await expect(page.locator('.recording-name')).toHaveText('hello');
    await page.getByRole('button', { name: '← Recordings' }).click();
  }
  const table = page.getByRole('table', { name: 'Recordings in this browser' });
  await expect(table.getByRole('row', { name: /hello/ })).toHaveCount(1);
  await expect(errors(page)).toHaveCount(0);
});

test('the snapshot budget is a setting on the start page, kept in this browser', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByText(/Snapshots may use .* \(the default: a tenth of the storage the browser allows this site\)/)).toBeVisible();
  await page.getByLabel('Snapshot budget (MiB)').fill('48');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(page.getByText(/Snapshots may use 48(\.0)? MiB; older ones are thinned/)).toBeVisible();
  await page.reload();
  await expect(page.getByText(/Snapshots may use 48(\.0)? MiB; older ones are thinned/)).toBeVisible();
  await page.getByLabel('Snapshot budget (MiB)').fill('');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(page.getByText(/\(the default: a tenth of the storage the browser allows this site\)/)).toBeVisible();
  await expect(errors(page)).toHaveCount(0);
});
