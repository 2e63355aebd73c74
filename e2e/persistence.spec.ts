import { expect, test } from '@playwright/test';
import { button, clickTimeline, consoleRegion, engineState, errors, expectPageMatchesEngine, openExample, recordToEnd, screenshot, settled, slider } from './helpers';

test('a recording survives a reload (IndexedDB): the same moment opens again, and it is listed', async ({ page }) => {
  await openExample(page, 'hello');
  const length = await recordToEnd(page);
  await expect(consoleRegion(page)).toContainText('Hello, world!');

  await clickTimeline(page, 0.6);
  const before = await expectPageMatchesEngine(page);
  // The position and the recording are in the URL.
  await expect(page).toHaveURL(new RegExp(`#rec=[0-9a-f]{32}&t=${before.icount}$`));
  const url = page.url();

  await page.reload();
  await expect(slider(page)).toHaveAttribute('aria-valuemax', String(length));
  await expect(slider(page)).toHaveAttribute('aria-valuenow', String(before.icount));
  await settled(page);
  const after = await expectPageMatchesEngine(page);
  expect(after).toEqual(before);
  expect(page.url()).toBe(url);
  await expect(page.getByText('replay', { exact: true })).toBeVisible();

  // The whole recording replays: its end, its output.
  await slider(page).focus();
  await page.keyboard.press('End');
  await settled(page);
  await expect(consoleRegion(page)).toContainText('Hello, world!');
  expect((await engineState(page)).icount).toBe(length);

  // Back to the start page: the recording is listed, and opens from there.
  await page.getByRole('button', { name: '← Recordings' }).click();
  const table = page.getByRole('table', { name: 'Recordings in this browser' });
  const row = table.getByRole('row', { name: /hello\.elf/ });
  await expect(row).toContainText('exited with status 0');
  await expect(row).toContainText(length.toLocaleString('en-US'));
  await screenshot(page, 'start-page-with-recordings');

  // Rename it, then open it.
  await row.getByRole('button', { name: 'Rename hello.elf' }).click();
  await table.getByRole('textbox', { name: 'New name for hello.elf' }).fill('hello, renamed');
  await table.getByRole('button', { name: 'Save' }).click();
  const renamed = table.getByRole('row', { name: /hello, renamed/ });
  await expect(renamed).toBeVisible();
  await renamed.getByRole('button', { name: 'Open hello, renamed' }).click();
  await expect(slider(page)).toHaveAttribute('aria-valuemax', String(length));
  await expect(page.getByText('hello, renamed')).toBeVisible();

  // Delete it: the list no longer has it.
  await page.getByRole('button', { name: '← Recordings' }).click();
  await table.getByRole('button', { name: 'Delete hello, renamed' }).click();
  await table.getByRole('button', { name: 'Delete hello, renamed' }).click();
  await expect(page.getByRole('table', { name: 'Recordings in this browser' })).toHaveCount(0);
  await expect(errors(page)).toHaveCount(0);
});

test('a stopped recording keeps what was recorded; reopened, it ends exactly there', async ({ page }) => {
  await openExample(page, 'bench');
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText(/Recording… · icount [1-9][0-9,]{9,}/);
  await button(page, 'Stop').click();
  await expect(page.getByRole('status')).toContainText('recording stopped');
  await settled(page);
  const stopped = await engineState(page);
  expect(stopped.icount).toBe(stopped.length);
  await expect(button(page, 'Record')).toBeEnabled();
  await expect(page).toHaveURL(new RegExp(`&t=${stopped.icount}$`));

  await page.reload();
  await expect(slider(page)).toHaveAttribute('aria-valuemax', String(stopped.length), { timeout: 30_000 });
  await settled(page);
  const reopened = await expectPageMatchesEngine(page);
  expect(reopened).toEqual(stopped);
  await expect(errors(page)).toHaveCount(0);
});
