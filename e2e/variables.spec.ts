import { expect, test } from '@playwright/test';
import { button, errors, openExample, recordToEnd, screenshot, settled } from './helpers';

test('the Variables panel shows calibration_offset; its history leads to the store that corrupted it', async ({ page }) => {
  await openExample(page, 'corruption');
  await recordToEnd(page);

  // Stop where the damage is read: in apply_calibration (corruption.c:149), by going back to it.
  const source = page.getByRole('region', { name: 'Source' });
  await expect(source).toBeVisible();
  const panel = page.getByRole('region', { name: 'Variables' });
  await panel.getByRole('textbox', { name: 'Expression' }).fill('calibration_offset');
  await panel.getByRole('button', { name: 'Watch', exact: true }).click();
  const expressions = panel.getByRole('tree', { name: 'Expressions' });
  const victim = expressions.getByRole('treeitem', { name: 'calibration_offset' });
  await expect(victim).toContainText('127');

  // A struct local, expandable: main's "raw" at the end of the program (frame of main).
  await panel.getByRole('textbox', { name: 'Expression' }).fill('raw_samples');
  await panel.getByRole('button', { name: 'Watch', exact: true }).click();
  const samples = expressions.getByRole('treeitem', { name: 'raw_samples' });
  await samples.getByRole('button', { name: 'Expand raw_samples' }).click();
  await expect(samples.getByRole('treeitem', { name: '[0]' })).toBeVisible();

  // Its history: the writes and the plot.
  await victim.getByRole('button', { name: 'History of calibration_offset' }).click();
  await settled(page);
  const history = panel.getByRole('region', { name: 'Value history' });
  await expect(history).toContainText(/6 writes to 4 bytes at 0x80200928/);
  await expect(history.getByRole('img', { name: 'Plot of calibration_offset against the timeline' })).toBeVisible();
  const writes = history.getByRole('list', { name: 'Writes' });
  await expect(writes.getByRole('button')).toHaveCount(6);
  await expect(writes).toContainText('load_calibration');
  await screenshot(page, 'variables-history');

  // "Who wrote this value?": at the end the value 127 comes from the store in smooth_readings, on line 103.
  await history.getByRole('button', { name: 'Who wrote this value?' }).click();
  await settled(page);
  await expect(source).toContainText('corruption.c:103');
  await expect(page.getByRole('status')).toContainText('smooth_readings');
  await expect(source.locator('.view-line', { hasText: 'smoothed[i] = sum / WINDOW;' })).toBeVisible();

  // Clicking the write of -15 lands on the line that wrote it (load_calibration, line 76), where the value is still 0.
  await writes.getByRole('button', { name: /0 to -15 at corruption\.c:76 in load_calibration/ }).click();
  await settled(page);
  await expect(source).toContainText('corruption.c:76');
  await expect(victim).toContainText('0');
  // And the corrupting write, from there.
  await writes.getByRole('button', { name: /-15 to 127 at corruption\.c:103 in smooth_readings/ }).click();
  await settled(page);
  await expect(source).toContainText('corruption.c:103');
  await expect(victim).toContainText('-15');
  await button(page, 'Step').click();
  await settled(page);
  await expect(victim).toContainText('127');
  await expect(errors(page)).toHaveCount(0);
  await screenshot(page, 'variables-corrupting-write');
});
