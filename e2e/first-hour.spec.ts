import { expect, test } from '@playwright/test';
import { button, consoleRegion, errors, screenshot, settled, slider } from './helpers';

// A newcomer's first click: an example opens in its own code (the first line of main), with its source,
// registers, call stack and console, without pressing Record; Record then runs it on from there.
test('one click on an example shows its source at main, ready to run on', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'Open corruption', exact: true }).click();
  const source = page.getByRole('region', { name: 'Source' });
  await expect(source).toContainText(/corruption\.c:\d+ · main/);
  await expect(source.locator('.line-current')).toHaveCount(1);
  await expect(page.getByRole('table', { name: 'Registers', exact: true }).getByRole('row').first()).toContainText('main');
  await expect(page.getByRole('table', { name: 'Call stack' }).getByRole('row').nth(1)).toContainText('main');
  await expect(consoleRegion(page)).toBeVisible();
  const atMain = Number(await slider(page).getAttribute('aria-valuenow'));
  expect(atMain).toBeGreaterThan(0);
  await screenshot(page, 'first-click-at-main');

  // The start of the run is still there, and Record goes on from main to the end.
  await page.getByRole('textbox', { name: 'Go to icount' }).fill('0');
  await page.getByRole('button', { name: 'Go', exact: true }).click();
  await settled(page);
  await expect(page.getByRole('table', { name: 'Registers', exact: true }).getByRole('row').first()).toContainText('0x0000000000001000');
  await button(page, 'Record').click();
  await expect(page.getByRole('status')).toContainText('the program exited with status 1', { timeout: 30_000 });
  await expect(consoleRegion(page)).toContainText('SELF-CHECK FAILED');
  await expect(errors(page)).toHaveCount(0);
});
